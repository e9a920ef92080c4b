import { KubeConfig } from '@kubernetes/client-node';
import { APPLYSET_PARENT } from './applyset';
import { ClusterBoard } from './cross-cluster';
import { KubeApiError, UsageError } from './errors';
import { Federation, FederationCluster, FederationIndex, FederationIndexCluster, groupOf, loadObjectsInSlices, readFederationIndex } from './federation';
import { ClientNodeKubeClient, FIELD_MANAGER, KubeClient, READ_PRIORITY } from './kube-client';
import { checkDistinctClusters, credentialsOf, loadKubeConfig, resolveContexts } from './kubeconfig';
import { checkKubeSphere, kubesphereNeeds } from './kubesphere-check';
import { Limiter, PriorityLimiter } from './limiter';
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
  /**
   * Poll interval in ms (default 1000) of what cannot be watched: waits whose watch cannot start or broke, and
   * apply-time values read from another cluster. Watched waits check their timeouts this often.
   */
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
  /** The field manager of server-side applies, which owns the fields they set (default `ksfed`). */
  readonly fieldManager?: string;
  /** Makes the API client of a cluster (tests). */
  readonly clientFactory?: (cluster: string, context: string) => KubeClient;
}

/** The contexts, clients and helpers a command's session holds once connected. */
export interface SessionClients {
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
  /** The field manager of server-side applies (ConnectOptions.fieldManager or FIELD_MANAGER). */
  readonly fieldManager: string;
  /** The client of a cluster the run talks to. */
  readonly client: (cluster: string) => KubeClient;
  /** Emits a progress event, redacted. */
  readonly emit: (event: ApplyEvent) => void;
  /** The ApplySet parent read by the preflight, or the error it got (clusters that could not be reached). */
  readonly preflight: Map<string, { parent?: any; error?: KubeApiError }>;
  /** Frees the clients' kept-alive connections (call when the command is done). */
  readonly close: () => void;
}

/** What a command needs once the input is checked: the federation, contexts, clients, placeholders. */
export interface Session extends SessionClients {
  readonly federation: Federation;
  /** The clusters the command runs on, in federation.json order. */
  readonly selected: FederationCluster[];
  /** What the runs of the selected clusters tell each other (objects applied, runs ended). */
  readonly board: ClusterBoard;
  /** One shared waiter per cluster for waits other clusters' runs do there (members' `Cluster` objects on the host). */
  readonly waiter: (cluster: string) => BatchWaiter;
}

/** What a command needs of a session. */
export interface SessionUse {
  /** Talk to clusters (contexts, credentials check). */
  readonly contact: boolean;
  /** Check the placeholder sources of the selected clusters. */
  readonly placeholders: boolean;
  /**
   * Check, with `contact`, that KubeSphere is installed where the folders need it (see checkKubeSphere). Default: as
   * `placeholders` (the commands that apply the folders).
   */
  readonly kubesphere?: boolean;
  /**
   * With `contact`: called once every cluster's first request is out, before the files are read, to send more reads
   * alongside (the checks of `doctor` and of apply's preflight). The session is returned once what it returns is done
   * too (it must not reject), so that those reads do not compete with the runs' first writes.
   */
  readonly alongside?: (start: SessionStart) => Promise<unknown> | void;
}

/** What `SessionUse.alongside` gets: federation.json and the clients of the clusters the run talks to. */
export interface SessionStart {
  readonly index: FederationIndex;
  /** The clusters the command runs on. */
  readonly selected: Set<string>;
  /** Every cluster the run talks to (the selected ones, the host, the sources of their placeholders). */
  readonly talkTo: string[];
  readonly client: (cluster: string) => KubeClient;
  readonly resolver: PlaceholderResolver;
  readonly kubeConfig?: KubeConfig;
  readonly contexts: Map<string, string>;
}

/** The placeholder ids federation.json lists in the named clusters' files. */
export function placeholdersOf(index: Pick<FederationIndex, 'placeholders'>, clusters: Set<string>): Set<string> {
  return new Set(index.placeholders.filter(p => p.occurrences.some(o => clusters.has(o.cluster))).map(p => p.id));
}

/**
 * Loads and checks everything before any cluster is changed: federation.json and its files, `--only`, the
 * kubeconfig and a context for every cluster the run talks to, the placeholder sources that need no cluster,
 * and (for commands that contact clusters) each cluster's credentials with one request. Bad input throws a
 * UsageError.
 *
 * The steps (planSession, connect, warmUp, then the files) are ordered for the first requests:
 * - federation.json is read first: it says which clusters to contact, so their first request (reading the
 *   ApplySet parent) goes out while the files are read and parsed (which are still checked before anything is
 *   changed).
 * - The host's parent read goes first, and is on the wire before the other clusters' clients are made (two turns
 *   of the event loop: one to connect, one to write), since every member's run waits for the host's. The others
 *   follow at once, then the KubeSphere check, and a turn later (its discovery requests are out, and the reads
 *   alongside share them) the reads `use.alongside` sends: everything is out before the files are parsed.
 * - The discovery warm-up of the host goes out then; the members' once the host's run has sent its ApplySet parent
 *   write (the runs start as this function returns, the host's first, and that write is sent before the next turn
 *   of the event loop): until then, every millisecond this process spends elsewhere delays the host, whose run is
 *   the critical path (members wait for objects the host applies).
 * - The files are read and parsed while those requests are out; the session is returned once the parent reads,
 *   the reads alongside and the KubeSphere check are done, so that they do not compete with the runs' first writes.
 */
export async function openSession(dist: string, options: ConnectOptions, use: SessionUse = { contact: true, placeholders: true }): Promise<Session> {
  const plan = planSession(dist, options, use);
  const { index, selectedNames } = plan;
  const conn = await connect(plan, options);
  const { client, clock, deadline, pollIntervalMs } = conn;
  const warmMembers = warmUp(plan, conn, options);

  try {
    const federation = await loadObjectsInSlices(index);
    const selected = federation.clusters.filter(c => selectedNames.has(c.name));
    const clusterBoard = new ClusterBoard(selected);
    conn.board.current = clusterBoard;
    const waiters = new Map<string, BatchWaiter>();
    const waiter = (cluster: string): BatchWaiter => {
      let w = waiters.get(cluster);
      if (!w) {
        w = new BatchWaiter(client(cluster), { pollIntervalMs, clock, signal: options.signal, deadline });
        waiters.set(cluster, w);
      }
      return w;
    };

    if (plan.use.contact) {
      await conn.ready();
      setImmediate(warmMembers);
    }

    return {
      federation,
      selected,
      kubeConfig: conn.kubeConfig,
      contexts: conn.contexts,
      redactor: conn.redactor,
      resolver: conn.resolver,
      clock,
      deadline,
      waitTimeoutMs: conn.waitTimeoutMs,
      pollIntervalMs,
      perClusterConcurrency: conn.perClusterConcurrency,
      fieldManager: conn.fieldManager,
      client,
      emit: conn.emit,
      preflight: conn.preflight,
      board: clusterBoard,
      waiter,
      close: conn.close,
    };
  } catch (e) {
    await conn.settle();
    conn.close();
    throw e;
  }
}

/** What `planSession` decides from federation.json and the options alone. */
export interface SessionPlan {
  readonly index: FederationIndex;
  readonly use: SessionUse;
  /** The clusters the command runs on. */
  readonly selectedNames: Set<string>;
  /** The placeholder ids of the selected clusters' files (none when `use.placeholders` is false). */
  readonly ids: Set<string>;
  /** Every cluster the run talks to (the selected ones, the host, the sources of their placeholders). */
  readonly talk: Set<string>;
  /** The same, as federation.json lists them (in its order). */
  readonly talkTo: FederationIndexCluster[];
}

/**
 * The first step of openSession, with no I/O besides reading federation.json: the clusters selected by `--only`,
 * those the run talks to and the placeholder ids. An unknown cluster in `--only` or the contexts is a UsageError.
 */
export function planSession(dist: string, options: Pick<ConnectOptions, 'only' | 'contexts'>, use: SessionUse): SessionPlan {
  const index = readFederationIndex(dist);
  const names = index.clusters.map(c => c.name);
  for (const name of [...(options.only ?? []), ...Object.keys(options.contexts ?? {})]) {
    if (!names.includes(name)) throw new UsageError(`unknown cluster "${name}"; the federation has: ${names.join(', ')}`);
  }
  const selectedNames = new Set(options.only && options.only.length > 0 ? names.filter(n => options.only!.includes(n)) : names);

  // Clusters the run talks to: the selected ones, those whose state fills their placeholders, and the host
  // (members wait for their Cluster there).
  const ids = use.placeholders ? placeholdersOf(index, selectedNames) : new Set<string>();
  const talk = new Set(selectedNames);
  for (const id of ids) {
    const p = index.placeholders.find(x => x.id === id);
    for (const r of p?.requires ?? []) talk.add(r);
    const s = p?.source;
    if (s && 'cluster' in s && typeof s.cluster === 'string') talk.add(s.cluster);
    if (s?.type === 'generate' && typeof s.reuse?.cluster === 'string') talk.add(s.reuse.cluster);
  }
  if (index.clusters.some(c => selectedNames.has(c.name) && c.role === 'member')) talk.add(index.host);
  const talkTo = index.clusters.filter(c => talk.has(c.name));
  return { index, use, selectedNames, ids, talk, talkTo };
}

/**
 * What `connect` made: the clients and what they need (the Session's fields, documented there), with the first
 * requests out.
 */
interface Connection extends SessionClients {
  /** Set once the files are loaded, before anything is resolved. */
  readonly board: { current?: ClusterBoard };
  readonly closed: () => boolean;
  /** Waits for the parent reads, the reads alongside, then the KubeSphere check (a 401 or a missing KubeSphere throws). */
  readonly ready: () => Promise<void>;
  /** Waits until every request sent so far has settled (before closing on an error). */
  readonly settle: () => Promise<void>;
}

/**
 * The second step of openSession: the kubeconfig, contexts and their checks, the redactor's credentials, the
 * clients, the placeholder sources that need no cluster, then (with `use.contact`) the preflight's parent reads,
 * the KubeSphere check and the reads alongside, sent without waiting for them.
 */
async function connect(plan: SessionPlan, options: ConnectOptions): Promise<Connection> {
  const { index, use, selectedNames, ids, talk, talkTo } = plan;
  const contact = use.contact;
  const redactor = new Redactor();
  const clock = options.clock ?? REAL_CLOCK;
  let kubeConfig: KubeConfig | undefined;
  let contexts = new Map<string, string>();
  const needsKubeconfig = contact || [...ids].some(id => index.placeholders.find(p => p.id === id)?.source.type === 'context');
  if (needsKubeconfig && !options.clientFactory) {
    kubeConfig = options.kubeConfig ?? loadKubeConfig(options.kubeconfig, options.env ?? process.env);
  } else if (options.kubeConfig) {
    kubeConfig = options.kubeConfig;
  }
  if (contact) {
    contexts = kubeConfig
      ? resolveContexts(kubeConfig, talkTo, options.contexts)
      : new Map(talkTo.map(c => [c.name, options.contexts?.[c.name] ?? c.context]));
    // Two clusters must not be one: those the run talks to, and the members whose kubeconfig (from their context)
    // goes into the host's Cluster objects. A client factory, not the kubeconfig, decides where requests go.
    const involved = new Set(talk);
    for (const p of index.placeholders) if (ids.has(p.id) && p.source.type === 'context' && typeof p.source.member === 'string') involved.add(p.source.member);
    checkDistinctClusters(index.clusters, involved, options.contexts, options.clientFactory ? undefined : kubeConfig);
  }
  if (kubeConfig) {
    for (const credential of credentialsOf(kubeConfig, [...contexts.values()])) redactor.add(credential, '<redacted:credential>');
  }

  const concurrency = options.concurrency ?? 4;
  const globalLimiter = new Limiter(concurrency);
  const perClusterConcurrency = options.perClusterConcurrency ?? concurrency;
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const deadline = clock.now() + (options.timeoutMs ?? 15 * 60_000);
  const fieldManager = options.fieldManager ?? FIELD_MANAGER;
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
        fieldManager,
        onRetry: (e, n, delay) => emit({ type: 'retry', cluster, message: `${e.code || e.reason} ${e.message} (retry ${n} in ${delay} ms)` }),
      });
      clients.set(cluster, c);
    }
    return c;
  };

  const waitTimeoutMs = options.waitTimeoutMs ?? 5 * 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  let closed = false;
  const close = () => {
    closed = true;
    for (const c of clients.values()) if (c instanceof ClientNodeKubeClient) c.close();
  };

  const board: { current?: ClusterBoard } = {};
  const resolver = new PlaceholderResolver({
    federation: index,
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
    awaitSource: (cluster, ref, what) => board.current!.applied(cluster, ref, what),
    runStatus: cluster => board.current!.status(cluster),
  });
  // Sources that need no cluster (environment variables, files, contexts) are checked before any is contacted.
  resolver.preflight(ids);

  // One request per cluster, in parallel and without retries: rejected credentials are bad input (exit 2)
  // before anything is applied; an unreachable cluster fails on its own later.
  const preflight = new Map<string, { parent?: any; error?: KubeApiError }>();
  const readParent = async (c: FederationIndexCluster): Promise<void> => {
    try {
      preflight.set(c.name, { parent: await client(c.name).get(APPLYSET_PARENT, { attempts: 1, priority: READ_PRIORITY + 1 }) });
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (e instanceof KubeApiError && e.code === 401) {
        throw new UsageError(`cluster "${c.name}" (context ${contexts.get(c.name)}): the API server rejected the credentials (401 Unauthorized); the token or certificate may have expired. Fix: refresh the kubeconfig`);
      }
      preflight.set(c.name, { error: e instanceof KubeApiError ? e : new KubeApiError(0, 'Error', String((e as Error)?.message ?? e)) });
    }
  };
  const parents: Promise<void>[] = [];
  if (contact) {
    const order = [...talkTo.filter(c => c.name === index.host), ...talkTo.filter(c => c.name !== index.host)];
    for (const c of order) {
      const read = readParent(c);
      read.catch(() => undefined); // (awaited in ready(); a 401 must not go unhandled meanwhile)
      parents.push(read);
      if (c.name === index.host && order.length > 1) {
        await turn();
        await turn();
      }
    }
  }
  // KubeSphere where the folders need it: checked alongside, before anything is written.
  const kubesphere = contact && (use.kubesphere ?? use.placeholders)
    ? checkKubeSphere(kubesphereNeeds(index, selectedNames, ids), client, c => contexts.get(c))
    : undefined;
  await turn();
  const alongside = contact && use.alongside
    ? Promise.resolve(use.alongside({ index, selected: selectedNames, talkTo: talkTo.map(c => c.name), client, resolver, kubeConfig, contexts }))
      .catch(() => undefined)
    : undefined;

  return {
    kubeConfig,
    contexts,
    redactor,
    resolver,
    clock,
    deadline,
    waitTimeoutMs,
    pollIntervalMs,
    perClusterConcurrency,
    fieldManager,
    client,
    emit,
    preflight,
    board,
    closed: () => closed,
    close,
    ready: async () => {
      await Promise.all(parents);
      await alongside;
      await kubesphere?.(c => preflight.get(c)?.error === undefined);
    },
    settle: async () => {
      await Promise.allSettled([...parents, alongside]);
    },
  };
}

/**
 * The third step of openSession: warms each selected cluster's discovery cache with the apiVersions its folder uses
 * that the client does not know already (built-in kinds it does), so that no apply later waits for a discovery
 * request. Groups a CRD of the same folder serves are left out (their kinds are known once that CRD is
 * Established); failures do not matter here. The host's go out now; returns what sends the members'.
 */
function warmUp(plan: SessionPlan, conn: Connection, options: ConnectOptions): () => void {
  const { index, selectedNames, talkTo } = plan;
  const client = conn.client;
  const warm = (clusters: FederationIndexCluster[]): void => {
    if (conn.closed() || options.signal?.aborted) return;
    for (const c of clusters) {
      const entries = c.entries.filter(o => typeof o?.apiVersion === 'string' && typeof o?.kind === 'string');
      const fromCrds = new Set(entries.filter(o => o.kind === 'CustomResourceDefinition' && typeof o.name === 'string').map(o => o.name.slice(o.name.indexOf('.') + 1)));
      const kinds = new Map<string, string>();
      for (const o of entries) if (!fromCrds.has(groupOf(o.apiVersion)) && !kinds.has(o.apiVersion)) kinds.set(o.apiVersion, o.kind);
      for (const [apiVersion, kind] of kinds) {
        try {
          client(c.name).namespaced(apiVersion, kind, { attempts: 1 }).catch(() => undefined);
        } catch {
          // (a client that cannot be made fails its cluster's run, with the reason, where it is needed)
        }
      }
    }
  };
  const warmed = plan.use.contact ? talkTo.filter(x => selectedNames.has(x.name)) : [];
  warm(warmed.filter(c => c.name === index.host));
  return () => warm(warmed.filter(c => c.name !== index.host));
}

/** One turn of the event loop. */
function turn(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}
