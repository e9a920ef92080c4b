import { ApiObject, Duration, Lazy } from 'cdk8s';
import { dnsSubdomainProblem, fail } from '../_util';
import { ANNOTATION_SECRET_KEYS, checkObjectName, DeliveredCluster, DeliveryContext, goDuration, LABEL_CLUSTER, LABEL_WAVE } from './_context';
import { GitOpsApiVersions } from './api-versions';
import { GitOpsCredentialsMode } from './credentials';
import { GitRevisionType } from './revision';

/** Where Flux runs. */
export enum FluxTopology {
  /**
   * One Flux on the management cluster reconciles every folder; remote clusters through `kubeConfig.secretRef`,
   * ordered with `dependsOn` (members after the host).
   */
  HUB = 'hub',
  /**
   * Every cluster runs its own Flux, which reconciles its own folder: each folder gets its own `GitRepository` and
   * `Kustomization`. Clusters cannot wait for each other (`dependsOn` is local): members converge by retry.
   */
  PER_CLUSTER = 'per-cluster',
}

/** Options of `GitOpsEngine.flux`. */
export interface FluxOptions {
  /**
   * The namespace Flux runs in.
   * @default 'flux-system'
   */
  readonly namespace?: string;
  /**
   * One Flux for the fleet, or one per cluster.
   * @default FluxTopology.HUB
   */
  readonly topology?: FluxTopology;
  /**
   * The `GitRepository` name.
   * @default - the delivery's name prefix + "federation", e.g. `ksfed-federation`
   */
  readonly gitRepositoryName?: string;
  /**
   * The Secret with the Git credentials (`username`/`password`, `bearerToken`, or `identity`/`known_hosts`), in the
   * Flux namespace.
   * @default - a public repository
   */
  readonly gitSecretName?: string;
  /**
   * How often the repository is fetched.
   * @default Duration.minutes(1)
   */
  readonly sourceInterval?: Duration;
  /**
   * How often each Kustomization reconciles (and corrects drift).
   * @default Duration.minutes(10)
   */
  readonly interval?: Duration;
  /**
   * How soon a failed reconciliation is retried: it is how members converge while the host is not ready yet.
   * @default Duration.minutes(2)
   */
  readonly retryInterval?: Duration;
  /**
   * Timeout of apply and health checks.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Delete objects removed from the folder.
   * @default true
   */
  readonly prune?: boolean;
  /**
   * Wait for every applied object to be ready (Deployments rolled out, CRDs established) before the Kustomization
   * is Ready, so that members wait for a healthy host.
   * @default true
   */
  readonly wait?: boolean;
  /**
   * The Secret (in the Flux namespace) holding the kubeconfig of each remote cluster, by cluster name.
   * @default - `<cluster>-kubeconfig` for every cluster but the management cluster (in `FluxTopology.HUB`)
   */
  readonly kubeConfigSecrets?: { [cluster: string]: string };
  /**
   * The key of the kubeconfig in those Secrets.
   * @default - Flux reads `value` or `value.yaml`
   */
  readonly kubeConfigSecretKey?: string;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Checks Flux options at `GitOpsEngine.flux` time.
 * @internal
 */
export function checkFluxOptions(options: FluxOptions): void {
  const where = 'GitOpsEngine.flux';
  if (options.namespace !== undefined) checkObjectName(where, 'namespace', options.namespace, 'flux-system');
  if (options.gitRepositoryName !== undefined) checkObjectName(where, 'gitRepositoryName', options.gitRepositoryName, 'ksfed-federation');
  for (const [prop, name] of [['gitSecretName', options.gitSecretName], ...Object.entries(options.kubeConfigSecrets ?? {}).map(([c, n]) => [`kubeConfigSecrets["${c}"]`, n])] as [string, string | undefined][]) {
    if (name === undefined) continue;
    const problem = dnsSubdomainProblem(name);
    if (problem) fail(where, prop, name, `it is not a Secret name: ${problem}`, 'give the name of a Secret in the Flux namespace');
  }
  if (options.kubeConfigSecretKey !== undefined && !SECRET_KEY.test(options.kubeConfigSecretKey)) {
    fail(where, 'kubeConfigSecretKey', options.kubeConfigSecretKey, 'it is not a Secret key (letters, digits, \'-\', \'_\' and \'.\')', 'omit it to let Flux read "value" or "value.yaml"');
  }
  if (options.topology === FluxTopology.PER_CLUSTER && (options.kubeConfigSecrets !== undefined || options.kubeConfigSecretKey !== undefined)) {
    fail(where, 'kubeConfigSecrets', Object.keys(options.kubeConfigSecrets ?? {}), 'with FluxTopology.PER_CLUSTER every cluster reconciles its own folder, so no kubeconfig is used',
      'drop kubeConfigSecrets and kubeConfigSecretKey, or use FluxTopology.HUB');
  }
  for (const prop of ['sourceInterval', 'interval', 'retryInterval', 'timeout'] as const) {
    const value = options[prop];
    if (value !== undefined) goDuration(where, prop, value);
  }
}

/**
 * Flux's `.sourceignore` rules that keep only `prefix` of the repository in the artifact (smaller artifacts,
 * fewer reconciliations when unrelated files change). Gitignore semantics need each parent re-included first.
 */
function ignoreRules(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  const lines = ['/*'];
  const parts = prefix.split('/');
  parts.forEach((_part, i) => {
    const dir = `/${parts.slice(0, i + 1).join('/')}/`;
    lines.push(`!${dir}`);
    if (i < parts.length - 1) lines.push(`${dir}*`);
  });
  return lines.join('\n') + '\n';
}

/**
 * Builds the Flux objects: into the management cluster's chart (hub) or into every delivered cluster's chart.
 * @internal
 */
export function buildFlux(ctx: DeliveryContext, options: FluxOptions): ApiObject[] {
  const namespace = options.namespace ?? 'flux-system';
  const topology = options.topology ?? FluxTopology.HUB;
  const repoName = options.gitRepositoryName ?? `${ctx.namePrefix}federation`;
  const id = ctx.scope.node.id;
  const where = 'GitOpsEngine.flux';
  const substitute = ctx.credentials?.mode === GitOpsCredentialsMode.SECRET ? ctx.credentials.source : undefined;
  const revision = ctx.revision;
  const ref = revision.type === GitRevisionType.BRANCH ? { branch: revision.value }
    : revision.type === GitRevisionType.TAG ? { tag: revision.value }
      : { commit: revision.value };
  const ignore = ignoreRules(ctx.pathPrefix);
  // Never pruned by the Kustomization that applies them: removing a cluster from the program orphans its
  // Kustomization instead of garbage-collecting everything in that cluster.
  const protect = { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' };
  const objects: ApiObject[] = [];

  const gitRepository = (chart: DeliveredCluster['chart'], suffix: string) => ctx.own(new ApiObject(chart, `${id}-GitRepository${suffix}`, {
    apiVersion: GitOpsApiVersions.FLUX_SOURCE,
    kind: 'GitRepository',
    metadata: { name: repoName, namespace, annotations: protect },
    spec: {
      interval: goDuration(where, 'sourceInterval', options.sourceInterval ?? Duration.minutes(1)),
      url: ctx.repoUrl,
      ref,
      ...(options.gitSecretName ? { secretRef: { name: options.gitSecretName } } : {}),
      ...(ignore ? { ignore } : {}),
    },
  }));

  const kustomization = (chart: DeliveredCluster['chart'], c: DeliveredCluster, remote: boolean) => ctx.own(new ApiObject(chart, `${id}-Kustomization-${c.name}`, {
    apiVersion: GitOpsApiVersions.FLUX_KUSTOMIZE,
    kind: 'Kustomization',
    metadata: {
      name: c.appName,
      namespace,
      labels: { [LABEL_CLUSTER]: c.name, [LABEL_WAVE]: String(c.wave) },
      annotations: {
        ...protect,
        [ANNOTATION_SECRET_KEYS]: Lazy.any({ produce: () => ctx.secretKeysOf(c.name).join(',') || undefined }) as any,
      },
    },
    spec: {
      interval: goDuration(where, 'interval', options.interval ?? Duration.minutes(10)),
      retryInterval: goDuration(where, 'retryInterval', options.retryInterval ?? Duration.minutes(2)),
      timeout: goDuration(where, 'timeout', options.timeout ?? Duration.minutes(5)),
      path: `./${c.path}`,
      prune: options.prune ?? true,
      wait: options.wait ?? true,
      sourceRef: { kind: 'GitRepository', name: repoName },
      ...(topology === FluxTopology.HUB && c.dependsOn.length > 0
        ? { dependsOn: c.dependsOn.map(d => ({ name: ctx.clusters.find(x => x.name === d)!.appName })) }
        : {}),
      ...(remote ? {
        kubeConfig: {
          secretRef: {
            name: options.kubeConfigSecrets?.[c.name] ?? `${c.name}-kubeconfig`,
            ...(options.kubeConfigSecretKey ? { key: options.kubeConfigSecretKey } : {}),
          },
        },
      } : {}),
      postBuild: Lazy.any({
        produce: () => (substitute && ctx.secretKeysOf(c.name).length > 0 ? { substituteFrom: [{ kind: 'Secret', name: substitute }] } : undefined),
      }),
    },
  }));

  if (topology === FluxTopology.HUB) {
    objects.push(gitRepository(ctx.management, ''));
    for (const c of ctx.clusters) objects.push(kustomization(ctx.management, c, !c.management));
  } else {
    for (const c of ctx.clusters) {
      objects.push(gitRepository(c.chart, `-${c.name}`));
      objects.push(kustomization(c.chart, c, false));
    }
  }
  return objects;
}
