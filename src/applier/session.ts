import { KubeConfig } from '@kubernetes/client-node';
import { APPLYSET_PARENT } from './applyset';
import { ClusterBoard } from './cross-cluster';
import { KubeApiError, UsageError } from './errors';
import { Federation, FederationCluster, groupOf, loadFederation } from './federation';
import { ClientNodeKubeClient, KubeClient, READ_PRIORITY } from './kube-client';
import { credentialsOf, loadKubeConfig, resolveContexts } from './kubeconfig';
import { Limiter, PriorityLimiter } from './ordering';
import { PlaceholderResolver } from './placeholders';
import { Redactor } from './redact';
import { ApplyEvent } from './report';
import { Clock, DEFAULT_RETRY_POLICY, Random, REAL_CLOCK, RetryPolicy } from './retry';
import { BatchWaiter } from './waits';

/** Options every command that talks to clusters takes. */
export interface ConnectOptions {
  /** Kubeconfig file; default `$KUBECONFIG`, `~/.kube/config`, in-cluster. */
  readonly kubeconfig?: string;
  /** A loaded kubeconfig (programmatic use; wins over `kubeconfig`). */
  readonly kubeConfig?: KubeConfig;
  /** Cluster name -> kubeconfig context; default: the context named like the cluster. */
  readonly contexts?: { [cluster: string]: string };
  /** Only these clusters (default: all). */
  readonly only?: string[];
  /** Requests in flight over all clusters (default 4). */
  readonly concurrency?: number;
  /** Requests in flight per cluster (default: `concurrency`). */
  readonly perClusterConcurrency?: number;
  /** Whole-run timeout in ms (default 15 minutes). */
  readonly timeoutMs?: number;
  /** Timeout of one wait (an object getting ready, a value appearing) in ms (default 5 minutes). */
  readonly waitTimeoutMs?: number;
  /** Poll interval of waits in ms (default 1000). */
  readonly pollIntervalMs?: number;
  /** Timeout of one HTTP request in ms (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Retry policy of requests. */
  readonly retry?: Partial<RetryPolicy>;
  /** Injectable time (tests). */
  readonly clock?: Clock;
  /** Injectable jitter source (tests). */
  readonly random?: Random;
  /** Injectable random bytes for generated values (tests). */
  readonly randomBytes?: (n: number) => Buffer;
  /** Environment variables for `env` placeholders (default process.env). */
  readonly env?: { [key: string]: string | undefined };
  /** Receives progress events (already redacted). */
  readonly output?: (event: ApplyEvent) => void;
  /** Cancels the run: it stops between requests and never leaves a prune's bookkeeping half done. */
  readonly signal?: AbortSignal;
  /** Server dry-run: placeholders that only exist after an apply become stand-ins instead of being waited for. */
  readonly dryRun?: boolean;
  /** Makes the API client of a cluster (tests). */
  readonly clientFactory?: (cluster: string, context: string) => KubeClient;
}

/** What a command needs once the input is checked: the federation, contexts, clients, placeholders. */
export interface Session {
  readonly federation: Federation;
  /** The clusters the command runs on, in federation.json order. */
  readonly selected: FederationCluster[];
  readonly kubeConfig?: KubeConfig;
  /** cluster -> context for every cluster the run talks to. */
  readonly contexts: Map<string, string>;
  readonly redactor: Redactor;
  readonly resolver: PlaceholderResolver;
  readonly clock: Clock;
  /** Epoch ms when the run must be over. */
  readonly deadline: number;
  readonly waitTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly perClusterConcurrency: number;
  /** The client of a cluster the run talks to. */
  readonly client: (cluster: string) => KubeClient;
  /** Emits a progress event, redacted. */
  readonly emit: (event: ApplyEvent) => void;
  /** The ApplySet parent read by the preflight, or the error it got (clusters that could not be reached). */
  readonly preflight: Map<string, { parent?: any; error?: KubeApiError }>;
  /** What the runs of the selected clusters tell each other (objects applied, runs ended). */
  readonly board: ClusterBoard;
  /** One shared waiter per cluster for waits other clusters' runs do there (members' `Cluster` objects on the host). */
  readonly waiter: (cluster: string) => BatchWaiter;
  /** Frees the clients' kept-alive connections (call when the command is done). */
  readonly close: () => void;
}

/** What a command needs of a session. */
export interface SessionUse {
  /** Talk to clusters (contexts, credentials check). */
  readonly contact: boolean;
  /** Check the placeholder sources of the selected clusters. */
  readonly placeholders: boolean;
}

/** The placeholder ids the selected clusters' objects hold. */
export function placeholdersOf(clusters: FederationCluster[]): Set<string> {
  const ids = new Set<string>();
  for (const c of clusters) for (const o of c.objects) for (const id of o.placeholders) ids.add(id);
  return ids;
}

/**
 * Loads and checks everything before any cluster is changed: federation.json and its files, `--only`, the
 * kubeconfig and a context for every cluster the run talks to, the placeholder sources that need no cluster,
 * and (for commands that contact clusters) each cluster's credentials with one request. Bad input throws a
 * UsageError.
 */
export async function openSession(dist: string, options: ConnectOptions, use: SessionUse = { contact: true, placeholders: true }): Promise<Session> {
  const contact = use.contact;
  const federation = loadFederation(dist);
  const names = federation.clusters.map(c => c.name);
  for (const name of [...(options.only ?? []), ...Object.keys(options.contexts ?? {})]) {
    if (!names.includes(name)) throw new UsageError(`unknown cluster "${name}"; the federation has: ${names.join(', ')}`);
  }
  const selected = options.only && options.only.length > 0 ? federation.clusters.filter(c => options.only!.includes(c.name)) : federation.clusters;

  // Clusters the run talks to: the selected ones, those whose state fills their placeholders, and the host
  // (members wait for their Cluster there).
  const ids = use.placeholders ? placeholdersOf(selected) : new Set<string>();
  const talk = new Set(selected.map(c => c.name));
  for (const id of ids) {
    const p = federation.placeholders.find(x => x.id === id);
    for (const r of p?.requires ?? []) talk.add(r);
    for (const key of ['cluster']) if (typeof p?.source?.[key] === 'string') talk.add(p.source[key]);
    if (typeof p?.source?.reuse?.cluster === 'string') talk.add(p.source.reuse.cluster);
  }
  if (selected.some(c => c.role === 'member')) talk.add(federation.host);
  const talkTo = federation.clusters.filter(c => talk.has(c.name));

  const redactor = new Redactor();
  const clock = options.clock ?? REAL_CLOCK;
  let kubeConfig: KubeConfig | undefined;
  let contexts = new Map<string, string>();
  const needsKubeconfig = contact || [...ids].some(id => federation.placeholders.find(p => p.id === id)?.source.type === 'context');
  if (needsKubeconfig && !options.clientFactory) {
    kubeConfig = options.kubeConfig ?? loadKubeConfig(options.kubeconfig, options.env ?? process.env);
  } else if (options.kubeConfig) {
    kubeConfig = options.kubeConfig;
  }
  if (contact) {
    contexts = kubeConfig
      ? resolveContexts(kubeConfig, talkTo, options.contexts)
      : new Map(talkTo.map(c => [c.name, options.contexts?.[c.name] ?? c.context]));
  }
  if (kubeConfig) {
    for (const credential of credentialsOf(kubeConfig, [...contexts.values()])) redactor.add(credential, '<redacted:credential>');
  }

  const concurrency = options.concurrency ?? 4;
  const globalLimiter = new Limiter(concurrency);
  const perClusterConcurrency = options.perClusterConcurrency ?? concurrency;
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const deadline = clock.now() + (options.timeoutMs ?? 15 * 60_000);
  const clients = new Map<string, KubeClient>();
  const emit = (event: ApplyEvent) => options.output?.(redactor.redactDeep(event));
  const client = (cluster: string): KubeClient => {
    let c = clients.get(cluster);
    if (!c) {
      const context = contexts.get(cluster);
      if (context === undefined) throw new UsageError(`cluster "${cluster}" has no kubeconfig context in this run`);
      c = options.clientFactory ? options.clientFactory(cluster, context) : new ClientNodeKubeClient({
        cluster,
        kubeConfig: kubeConfig!,
        context,
        retry,
        clock,
        random: options.random,
        signal: options.signal,
        globalLimiter,
        clusterLimiter: new PriorityLimiter(perClusterConcurrency),
        requestTimeoutMs: options.requestTimeoutMs,
        deadline,
        onRetry: (e, n, delay) => emit({ type: 'retry', cluster, message: `${e.code || e.reason} ${e.message} (retry ${n} in ${delay} ms)` }),
      });
      clients.set(cluster, c);
    }
    return c;
  };

  const waitTimeoutMs = options.waitTimeoutMs ?? 5 * 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const board = new ClusterBoard(selected);
  const waiters = new Map<string, BatchWaiter>();
  const waiter = (cluster: string): BatchWaiter => {
    let w = waiters.get(cluster);
    if (!w) {
      w = new BatchWaiter(client(cluster), { pollIntervalMs, clock, signal: options.signal, deadline });
      waiters.set(cluster, w);
    }
    return w;
  };
  const resolver = new PlaceholderResolver({
    federation,
    client,
    kubeConfig,
    contextOverrides: options.contexts,
    env: options.env,
    dryRun: options.dryRun,
    onWait: (cluster, message) => emit({ type: 'wait', cluster, object: 'placeholder', message }),
    clock,
    signal: options.signal,
    waitTimeoutMs,
    pollIntervalMs,
    randomBytes: options.randomBytes,
    redactor,
    awaitSource: (cluster, ref, what) => board.applied(cluster, ref, what),
    runStatus: cluster => board.status(cluster),
  });
  resolver.preflight(ids);

  // One request per cluster, in parallel and without retries: rejected credentials are bad input (exit 2)
  // before anything is applied; an unreachable cluster fails on its own later.
  const preflight = new Map<string, { parent?: any; error?: KubeApiError }>();
  if (contact) {
    // Alongside, without waiting for it, warm each cluster's discovery cache with the apiVersions its folder uses,
    // so that no apply later waits for a discovery request first. Groups a CRD of the same folder serves are left
    // out (they are looked up once that CRD is Established, or when first used); failures do not matter here.
    for (const c of talkTo.filter(x => selected.includes(x))) {
      const fromCrds = new Set(c.objects.filter(o => o.kind === 'CustomResourceDefinition' && typeof o.manifest?.spec?.group === 'string').map(o => o.manifest.spec.group));
      const kinds = new Map<string, string>();
      // (core/v1 Secrets are known without discovery: warm v1 with another kind, so its full list is fetched)
      for (const o of c.objects) {
        if (fromCrds.has(groupOf(o.apiVersion))) continue;
        if (!kinds.has(o.apiVersion) || (o.apiVersion === 'v1' && kinds.get('v1') === 'Secret')) kinds.set(o.apiVersion, o.kind);
      }
      for (const [apiVersion, kind] of kinds) client(c.name).namespaced(apiVersion, kind, { attempts: 1 }).catch(() => undefined);
    }
    await Promise.all(talkTo.map(async c => {
      try {
        preflight.set(c.name, { parent: await client(c.name).get(APPLYSET_PARENT, { attempts: 1, priority: READ_PRIORITY + 1 }) });
      } catch (e) {
        if (e instanceof UsageError) throw e;
        if (e instanceof KubeApiError && e.code === 401) {
          throw new UsageError(`cluster "${c.name}" (context ${contexts.get(c.name)}): the API server rejected the credentials (401 Unauthorized); the token or certificate may have expired. Fix: refresh the kubeconfig`);
        }
        preflight.set(c.name, { error: e instanceof KubeApiError ? e : new KubeApiError(0, 'Error', String((e as Error)?.message ?? e)) });
      }
    }));
  }

  return {
    federation,
    selected,
    kubeConfig,
    contexts,
    redactor,
    resolver,
    clock,
    deadline,
    waitTimeoutMs,
    pollIntervalMs,
    perClusterConcurrency,
    client,
    emit,
    preflight,
    board,
    waiter,
    close: () => {
      for (const c of clients.values()) if (c instanceof ClientNodeKubeClient) c.close();
    },
  };
}
