import { ApiObject, Duration, Lazy, Yaml } from 'cdk8s';
import { dnsSubdomainProblem, fail } from '../_util';
import { checkUrl } from '../connection';
import { ANNOTATION_SECRET_KEYS, ARGO_SYNC_WAVE, checkObjectName, DeliveredCluster, DeliveryContext, goDuration, LABEL_CLUSTER, LABEL_WAVE } from './_context';
import { GitOpsApiVersions } from './api-versions';
import { GitOpsCredentialsMode } from './credentials';
import { APPLY_PHASES } from '../contract/federation-json';

/** How the Argo CD Applications are created. */
export enum ArgoCdMode {
  /** One `ApplicationSet` with a list generator: one element, and one generated Application, per cluster folder. */
  APPLICATION_SET = 'ApplicationSet',
  /** One `Application` object per cluster folder ("app of apps"), ordered by sync waves. */
  APPLICATIONS = 'Applications',
}

/**
 * Where an Argo CD Application deploys: a cluster registered in Argo CD, by name or by API server URL.
 */
export class ArgoCdDestination {
  /** The cluster Argo CD runs in, by its built-in name `in-cluster`. */
  public static inCluster(): ArgoCdDestination {
    return new ArgoCdDestination('in-cluster', undefined);
  }

  /**
   * A cluster registered in Argo CD, by the `name` of its cluster Secret.
   * @param name the `name` of the cluster's Secret in Argo CD
   */
  public static clusterName(name: string): ArgoCdDestination {
    if (typeof name !== 'string' || name.trim().length === 0 || name.trim() !== name) {
      fail('ArgoCdDestination.clusterName', 'name', name, 'it is empty or has surrounding spaces', 'give the name Argo CD knows the cluster by (`argocd cluster list`)');
    }
    return new ArgoCdDestination(name, undefined);
  }

  /**
   * A cluster registered in Argo CD, by its API server URL, e.g. `https://10.0.0.10:6443`.
   * @param url the API server URL, as registered in Argo CD
   */
  public static serverUrl(url: string): ArgoCdDestination {
    checkUrl('ArgoCdDestination.serverUrl', 'url', url, 'https://10.0.0.10:6443');
    return new ArgoCdDestination(undefined, url);
  }

  /** The Argo CD cluster name, when the destination is given by name. */
  public readonly name?: string;
  /** The API server URL, when the destination is given by URL. */
  public readonly server?: string;

  private constructor(name: string | undefined, server: string | undefined) {
    this.name = name;
    this.server = server;
  }
}

/** How the generated Applications sync. */
export interface ArgoCdSyncPolicy {
  /**
   * Sync automatically when the folder changes (`syncPolicy.automated`).
   * @default true
   */
  readonly automated?: boolean;
  /**
   * Delete objects removed from the folder (`automated.prune`). Only with `automated`.
   * @default true
   */
  readonly prune?: boolean;
  /**
   * Revert changes made in the cluster (`automated.selfHeal`). Only with `automated`.
   * @default true
   */
  readonly selfHeal?: boolean;
  /**
   * Server-side apply (`ServerSideApply=true`), as `ksfed` does; needed for the large KubeFed CRDs.
   * @default true
   */
  readonly serverSideApply?: boolean;
  /**
   * How many times a failed sync is retried (`retry.limit`).
   * @default 5
   */
  readonly retryLimit?: number;
  /**
   * The first retry delay, doubled at each retry (`retry.backoff.duration`).
   * @default Duration.seconds(10)
   */
  readonly retryBackoff?: Duration;
  /**
   * The longest retry delay (`retry.backoff.maxDuration`).
   * @default Duration.minutes(3)
   */
  readonly retryMaxBackoff?: Duration;
}

/** Options of `GitOpsEngine.argoCd`. */
export interface ArgoCdOptions {
  /**
   * The namespace Argo CD runs in, on the management cluster.
   * @default 'argocd'
   */
  readonly namespace?: string;
  /**
   * The Argo CD project of the Applications.
   * @default 'default'
   */
  readonly project?: string;
  /**
   * One ApplicationSet, or one Application per cluster.
   * @default ArgoCdMode.APPLICATION_SET
   */
  readonly mode?: ArgoCdMode;
  /**
   * The ApplicationSet's name, in `ArgoCdMode.APPLICATION_SET`.
   * @default - the delivery's name prefix + "federation", e.g. `ksfed-federation`
   */
  readonly applicationSetName?: string;
  /**
   * Where each cluster's Application deploys, by cluster name.
   * @default - `ArgoCdDestination.inCluster()` for the management cluster, `ArgoCdDestination.clusterName(<cluster name>)` for the others
   */
  readonly destinations?: { [cluster: string]: ArgoCdDestination };
  /**
   * How the Applications sync.
   * @default - automated, prune, self-heal, server-side apply, 5 retries from 10s to 3m
   */
  readonly syncPolicy?: ArgoCdSyncPolicy;
  /**
   * In `ArgoCdMode.APPLICATION_SET`, order the generated Applications with a `RollingSync` strategy: the host's
   * Application first, the members' once it is healthy. Argo CD honours it only when progressive syncs are enabled
   * on the ApplicationSet controller (`--enable-progressive-syncs`), and then syncs the generated Applications
   * itself (their automated sync is turned off); otherwise the strategy is ignored and members converge by retry.
   * @default true
   */
  readonly progressiveSync?: boolean;
}

/**
 * Checks Argo CD options at `GitOpsEngine.argoCd` time.
 * @internal
 */
export function checkArgoCdOptions(options: ArgoCdOptions): void {
  const where = 'GitOpsEngine.argoCd';
  if (options.namespace !== undefined) checkObjectName(where, 'namespace', options.namespace, 'argocd');
  if (options.project !== undefined) {
    const problem = dnsSubdomainProblem(options.project);
    if (problem) fail(where, 'project', options.project, `it is not an AppProject name: ${problem}`, 'use "default" or the name of your AppProject');
  }
  if (options.applicationSetName !== undefined) checkObjectName(where, 'applicationSetName', options.applicationSetName, 'ksfed-federation');
  const mode = options.mode ?? ArgoCdMode.APPLICATION_SET;
  if (mode === ArgoCdMode.APPLICATIONS && options.applicationSetName !== undefined) {
    fail(where, 'applicationSetName', options.applicationSetName, 'there is no ApplicationSet in ArgoCdMode.APPLICATIONS', 'drop applicationSetName, or use ArgoCdMode.APPLICATION_SET');
  }
  if (mode === ArgoCdMode.APPLICATIONS && options.progressiveSync !== undefined) {
    fail(where, 'progressiveSync', options.progressiveSync, 'progressive syncs order the Applications of an ApplicationSet; in ArgoCdMode.APPLICATIONS the order follows sync waves',
      'drop progressiveSync, or use ArgoCdMode.APPLICATION_SET');
  }
  for (const [cluster, destination] of Object.entries(options.destinations ?? {})) {
    if (!(destination instanceof ArgoCdDestination)) {
      fail(where, `destinations["${cluster}"]`, String(destination), 'it is not an ArgoCdDestination', 'use ArgoCdDestination.clusterName(name), .serverUrl(url) or .inCluster()');
    }
  }
  const sync = options.syncPolicy ?? {};
  if (sync.automated === false && (sync.prune !== undefined || sync.selfHeal !== undefined)) {
    fail(where, 'syncPolicy.automated', false, 'prune and selfHeal only apply to automated sync', 'drop prune and selfHeal, or keep automated sync on');
  }
  if (sync.retryLimit !== undefined && (!Number.isInteger(sync.retryLimit) || sync.retryLimit < 0)) {
    fail(where, 'syncPolicy.retryLimit', sync.retryLimit, 'it must be a whole number of 0 or more', 'use e.g. 5 (0 disables retries)');
  }
  if (sync.retryBackoff !== undefined) goDuration(where, 'syncPolicy.retryBackoff', sync.retryBackoff);
  if (sync.retryMaxBackoff !== undefined) goDuration(where, 'syncPolicy.retryMaxBackoff', sync.retryMaxBackoff);
}

/** The sync policy of every Application. */
function syncPolicyJson(policy: ArgoCdSyncPolicy): any {
  const automated = policy.automated ?? true;
  return {
    ...(automated ? { automated: { prune: policy.prune ?? true, selfHeal: policy.selfHeal ?? true } } : {}),
    syncOptions: [...(policy.serverSideApply ?? true ? ['ServerSideApply=true'] : []), 'SkipDryRunOnMissingResource=true'],
    retry: {
      limit: policy.retryLimit ?? 5,
      backoff: {
        duration: goDuration('GitOpsEngine.argoCd', 'syncPolicy.retryBackoff', policy.retryBackoff ?? Duration.seconds(10)),
        factor: 2,
        maxDuration: goDuration('GitOpsEngine.argoCd', 'syncPolicy.retryMaxBackoff', policy.retryMaxBackoff ?? Duration.minutes(3)),
      },
    },
  };
}

/**
 * The ConfigManagementPlugin that substitutes `${KSFED_...}` variables from the sidecar's environment (the
 * user-managed Secret), and fails the render when one is missing. Needs only `sh` and a POSIX `awk`.
 */
function envsubstPluginYaml(name: string): string {
  const awk = [
    '{',
    '    out = ""; line = $0',
    '    while (match(line, /\\$\\{KSFED_[A-Za-z0-9_]+\\}/)) {',
    '      name = substr(line, RSTART + 2, RLENGTH - 3)',
    '      if (!(name in ENVIRON)) { printf "ksfed-envsubst: %s is not set: add it to the Secret mounted into this plugin\\n", name > "/dev/stderr"; exit 1 }',
    '      out = out substr(line, 1, RSTART - 1) ENVIRON[name]',
    '      line = substr(line, RSTART + RLENGTH)',
    '    }',
    '    print out line',
    '  }',
  ].join('\n');
  const script = [
    'set -e',
    'for f in $(ls | grep -E \'\\.ya?ml$\' | sort); do',
    '  echo ---',
    `  awk '${awk}' "$f"`,
    'done',
    '',
  ].join('\n');
  return Yaml.stringify({
    apiVersion: GitOpsApiVersions.ARGO_CD,
    kind: 'ConfigManagementPlugin',
    metadata: { name },
    spec: { generate: { command: ['sh', '-c'], args: [script] } },
  });
}

/** The Argo CD wave of a cluster's Application: after every phase of the management cluster's own folder. */
function applicationWave(cluster: DeliveredCluster): string {
  return String(APPLY_PHASES.length + cluster.wave);
}

const PROTECT = 'Prune=false,Delete=false';

/**
 * Builds the Argo CD objects into the management cluster's chart.
 * @internal
 */
export function buildArgoCd(ctx: DeliveryContext, options: ArgoCdOptions): ApiObject[] {
  const namespace = options.namespace ?? 'argocd';
  const project = options.project ?? 'default';
  const mode = options.mode ?? ArgoCdMode.APPLICATION_SET;
  const id = ctx.scope.node.id;
  const credentials = ctx.credentials;
  const plugin = credentials && credentials.mode !== GitOpsCredentialsMode.KEEP ? credentials.pluginName : undefined;
  const syncPolicy = syncPolicyJson(options.syncPolicy ?? {});
  const destinationOf = (c: DeliveredCluster) => options.destinations?.[c.name]
    ?? (c.management ? ArgoCdDestination.inCluster() : ArgoCdDestination.clusterName(c.name));
  const source = (path: string) => ({
    repoURL: ctx.repoUrl,
    targetRevision: ctx.revision.value,
    path,
    ...(plugin ? { plugin: { name: plugin } } : {}),
  });
  const objects: ApiObject[] = [];

  if (credentials?.mode === GitOpsCredentialsMode.SECRET) {
    objects.push(ctx.own(new ApiObject(ctx.management, `${id}-ConfigManagementPlugin`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: plugin!,
        namespace,
        labels: { 'app.kubernetes.io/part-of': 'argocd' },
        annotations: {
          'ksfed.kubesphere-federation/usage': `mount as /home/argocd/cmp-server/config/plugin.yaml in an argocd-repo-server sidecar whose environment comes from the Secret "${credentials.source}"`,
          'argocd.argoproj.io/sync-options': PROTECT,
        },
      },
      data: { 'plugin.yaml': envsubstPluginYaml(plugin!) },
    })));
  }

  const labels = (c: DeliveredCluster) => ({ [LABEL_CLUSTER]: c.name, [LABEL_WAVE]: String(c.wave) });
  if (mode === ArgoCdMode.APPLICATIONS) {
    for (const c of ctx.clusters) {
      const destination = destinationOf(c);
      objects.push(ctx.own(new ApiObject(ctx.management, `${id}-Application-${c.name}`, {
        apiVersion: GitOpsApiVersions.ARGO_CD,
        kind: 'Application',
        metadata: {
          name: c.appName,
          namespace,
          labels: labels(c),
          annotations: {
            [ARGO_SYNC_WAVE]: applicationWave(c),
            'argocd.argoproj.io/sync-options': PROTECT,
            [ANNOTATION_SECRET_KEYS]: Lazy.any({ produce: () => ctx.secretKeysOf(c.name).join(',') || undefined }) as any,
          },
        },
        spec: {
          project,
          source: source(c.path),
          destination: destination.name !== undefined ? { name: destination.name } : { server: destination.server },
          syncPolicy,
        },
      })));
    }
    return objects;
  }

  const destinations = ctx.clusters.map(destinationOf);
  const byName = destinations.some(d => d.name !== undefined);
  const byServer = destinations.some(d => d.server !== undefined);
  const waves = [...new Set(ctx.clusters.map(c => c.wave))].sort();
  const progressive = options.progressiveSync ?? true;
  objects.push(ctx.own(new ApiObject(ctx.management, `${id}-ApplicationSet`, {
    apiVersion: GitOpsApiVersions.ARGO_CD,
    kind: 'ApplicationSet',
    metadata: {
      name: options.applicationSetName ?? `${ctx.namePrefix}federation`,
      namespace,
      annotations: { [ARGO_SYNC_WAVE]: String(APPLY_PHASES.length), 'argocd.argoproj.io/sync-options': PROTECT },
    },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{
        list: {
          elements: ctx.clusters.map((c, i) => ({
            cluster: c.name,
            name: c.appName,
            path: c.path,
            wave: String(c.wave),
            ...(byName ? { destinationName: destinations[i].name ?? '' } : {}),
            ...(byServer ? { destinationServer: destinations[i].server ?? '' } : {}),
            secretKeys: Lazy.any({ produce: () => ctx.secretKeysOf(c.name).join(',') }),
          })),
        },
      }],
      ...(progressive && waves.length > 1 ? {
        strategy: {
          type: 'RollingSync',
          rollingSync: { steps: waves.map(w => ({ matchExpressions: [{ key: LABEL_WAVE, operator: 'In', values: [String(w)] }] })) },
        },
      } : {}),
      syncPolicy: { preserveResourcesOnDeletion: true },
      template: {
        metadata: {
          name: '{{.name}}',
          labels: { [LABEL_CLUSTER]: '{{.cluster}}', [LABEL_WAVE]: '{{.wave}}' },
          annotations: { [ANNOTATION_SECRET_KEYS]: '{{.secretKeys}}' },
        },
        spec: {
          project,
          source: source('{{.path}}'),
          destination: {
            ...(byName ? { name: '{{.destinationName}}' } : {}),
            ...(byServer ? { server: '{{.destinationServer}}' } : {}),
          },
          syncPolicy,
        },
      },
    },
  })));
  return objects;
}
