import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterRole } from '../_output';
import { dnsLabelProblem, fail } from '../_util';
import { ClusterChart } from '../cluster-chart';
import { ConnectionType } from '../connection';
import { GitOpsCredentials } from './credentials';
import { GitRevision } from './revision';

/** Labels and annotations the library writes on the GitOps objects. */
export const LABEL_CLUSTER = 'ksfed.kubesphere-federation/cluster';
export const LABEL_WAVE = 'ksfed.kubesphere-federation/wave';
export const ANNOTATION_SECRET_KEYS = 'ksfed.kubesphere-federation/secret-keys';
export const ARGO_SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

/** One cluster folder delivered by the engine. */
export interface DeliveredCluster {
  /** The cluster name, which is also its folder. */
  readonly name: string;
  readonly chart: ClusterChart;
  readonly role: ClusterRole;
  readonly connection?: ConnectionType;
  /** Whether the engine runs in this cluster (hub topologies). */
  readonly management: boolean;
  /** The Argo CD Application / Flux Kustomization name. */
  readonly appName: string;
  /** The folder's path in the repository (no leading `./`, no trailing `/`). */
  readonly path: string;
  /** 0 for the host, 1 for members that wait for it. */
  readonly wave: number;
  /** Clusters whose delivery must be ready first. */
  readonly dependsOn: string[];
}

/** What an engine needs to build its objects. */
export interface DeliveryContext {
  readonly scope: Construct;
  readonly management: ClusterChart;
  /** Delivered clusters, host first. */
  readonly clusters: DeliveredCluster[];
  readonly repoUrl: string;
  readonly revision: GitRevision;
  readonly pathPrefix: string;
  readonly namePrefix: string;
  readonly credentials?: GitOpsCredentials;
  /** The Secret keys a cluster's folder needs (lazy: known once the tree is complete). */
  readonly secretKeysOf: (cluster: string) => string[];
  /** Registers an object as one of the delivery's own (never rewritten, never scanned). */
  readonly own: (object: ApiObject) => ApiObject;
}

/**
 * Formats a duration the way Kubernetes `metav1.Duration` and Argo CD expect it: `1h30m`, `10m`, `45s`, `500ms`.
 */
export function goDuration(where: string, prop: string, duration: Duration): string {
  const ms = duration?.toMilliseconds?.({ integral: false });
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms <= 0) {
    fail(where, prop, ms, 'it must be a positive whole number of milliseconds', 'use Duration.seconds(30), Duration.minutes(5)...');
  }
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

/**
 * Checks a Kubernetes object name that is also used as a label value (at most 63 characters).
 */
export function checkObjectName(where: string, prop: string, name: string, example: string): void {
  const problem = dnsLabelProblem(name, 63);
  if (problem) fail(where, prop, name, problem, `use a name like "${example}"`);
}
