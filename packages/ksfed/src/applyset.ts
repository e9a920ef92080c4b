import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { groupOf } from './federation';

/**
 * kubectl-compatible ApplySet bookkeeping (KEP-3659, kubectl's `applyset.go`).
 *
 * Each cluster has one parent: the Secret `kube-system/ksfed-applyset`, labelled
 * `applyset.kubernetes.io/id=applyset-<base64url(sha256(<name>.<namespace>.<kind>.<group>))>-v1` and annotated with
 * `applyset.kubernetes.io/tooling: ksfed/<version>`, `applyset.kubernetes.io/contains-group-kinds` and
 * `applyset.kubernetes.io/additional-namespaces`. Every applied object is labelled
 * `applyset.kubernetes.io/part-of=<id>`.
 */
export const APPLYSET_ID_LABEL = 'applyset.kubernetes.io/id';
export const APPLYSET_PART_OF_LABEL = 'applyset.kubernetes.io/part-of';
export const APPLYSET_TOOLING_ANNOTATION = 'applyset.kubernetes.io/tooling';
export const APPLYSET_GROUP_KINDS_ANNOTATION = 'applyset.kubernetes.io/contains-group-kinds';
export const APPLYSET_NAMESPACES_ANNOTATION = 'applyset.kubernetes.io/additional-namespaces';
/** ksfed's own annotation on the parent: the apiVersion of each group-kind, so pruning can list them. */
export const GROUP_KIND_VERSIONS_ANNOTATION = 'ksfed.kubesphere-federation/group-kind-versions';
/**
 * ksfed's own annotation on the host's parent: the clusters of the federation applied since the last clean-up,
 * comma-separated (a cluster removed from the program stays recorded until its objects are pruned there).
 */
export const CLUSTERS_ANNOTATION = 'ksfed.kubesphere-federation/clusters';
/** Objects annotated with this and `never` are never pruned (the library writes it: part of the contract). */
export { PRUNE_ANNOTATION } from 'cdk8s-kubesphere-federation/lib/contract/federation-json';

/** The parent object of every cluster's ApplySet. */
export const APPLYSET_PARENT = { apiVersion: 'v1', kind: 'Secret', namespace: 'kube-system', name: 'ksfed-applyset' } as const;

/** The tool name in the tooling annotation. */
export const TOOLING_NAME = 'ksfed';

/** The ApplySet id of a parent object: kubectl's formula. */
export function applySetId(parent: { name: string; namespace?: string; kind: string; group: string }): string {
  const unencoded = [parent.name, parent.namespace ?? '', parent.kind, parent.group].join('.');
  return `applyset-${createHash('sha256').update(unencoded).digest('base64url')}-v1`;
}

/** The id of ksfed's parent. */
export const KSFED_APPLYSET_ID = applySetId({ ...APPLYSET_PARENT, group: '' });

/** `Kind.group`, or `Kind` for the core group (the format of contains-group-kinds). */
export function groupKindOf(apiVersion: string, kind: string): string {
  const group = groupOf(apiVersion);
  return group ? `${kind}.${group}` : kind;
}

/** The identity of an object inside an ApplySet (version-independent). */
export function memberKey(o: { apiVersion: string; kind: string; namespace?: string; name: string }): string {
  return `${groupKindOf(o.apiVersion, o.kind)}/${o.namespace ?? ''}/${o.name}`;
}

/** This package's version, for the tooling annotation. */
export function toolingVersion(): string {
  packageVersion ??= readVersion();
  return packageVersion;
}

let packageVersion: string | undefined;

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    if (pkg.name === 'ksfed' && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // not installed as a package (a bundle): no version to read
  }
  return '0.0.0';
}

/** What an ApplySet parent records: the group-kinds (with their apiVersions) and namespaces of its members. */
export interface ApplySetState {
  /** group-kind -> apiVersion (empty when unknown). */
  readonly groupKinds: Map<string, string>;
  /** Namespaces of namespaced members, the parent's own namespace included. */
  readonly namespaces: Set<string>;
  /** The host's record of the federation's clusters (CLUSTERS_ANNOTATION); undefined on members and before any. */
  readonly clusters?: string[];
}

/** The state the given objects need (no record of clusters). */
export function stateOf(objects: { apiVersion: string; kind: string; namespace?: string }[]): ApplySetState {
  const groupKinds = new Map<string, string>();
  const namespaces = new Set<string>();
  for (const o of objects) {
    groupKinds.set(groupKindOf(o.apiVersion, o.kind), o.apiVersion);
    if (o.namespace) namespaces.add(o.namespace);
  }
  return { groupKinds, namespaces };
}

/** The union of two states (the superset recorded before an apply). */
export function unionOf(a: ApplySetState, b: ApplySetState): ApplySetState {
  const groupKinds = new Map(a.groupKinds);
  for (const [gk, v] of b.groupKinds) if (v || !groupKinds.get(gk)) groupKinds.set(gk, v);
  const clusters = a.clusters || b.clusters ? [...new Set([...a.clusters ?? [], ...b.clusters ?? []])].sort() : undefined;
  return { groupKinds, namespaces: new Set([...a.namespaces, ...b.namespaces]), ...(clusters ? { clusters } : {}) };
}

/**
 * Whether two states record the same group-kinds and namespaces (the parent's own namespace, which the
 * annotation never lists, does not count).
 */
export function sameState(a: ApplySetState, b: ApplySetState): boolean {
  const gk = (s: ApplySetState) => [...s.groupKinds.entries()].map(([k, v]) => `${k}=${v}`).sort().join(',');
  const ns = (s: ApplySetState) => [...s.namespaces].filter(n => n !== APPLYSET_PARENT.namespace).sort().join(',');
  const clusters = (s: ApplySetState) => s.clusters === undefined ? undefined : [...s.clusters].sort().join(',');
  return gk(a) === gk(b) && ns(a) === ns(b) && clusters(a) === clusters(b);
}

/** Reads the state recorded on a parent (an empty state for no parent). */
export function parseParent(parent: any | undefined): ApplySetState {
  const annotations: { [k: string]: string } = parent?.metadata?.annotations ?? {};
  const versions = new Map<string, string>();
  for (const entry of (annotations[GROUP_KIND_VERSIONS_ANNOTATION] ?? '').split(',')) {
    const i = entry.indexOf('=');
    if (i > 0) versions.set(entry.slice(0, i), entry.slice(i + 1));
  }
  const groupKinds = new Map<string, string>();
  for (const gk of (annotations[APPLYSET_GROUP_KINDS_ANNOTATION] ?? '').split(',').map(s => s.trim()).filter(s => s)) {
    groupKinds.set(gk, versions.get(gk) ?? '');
  }
  const namespaces = new Set((annotations[APPLYSET_NAMESPACES_ANNOTATION] ?? '').split(',').map(s => s.trim()).filter(s => s));
  if (parent) namespaces.add(APPLYSET_PARENT.namespace);
  const clusters = annotations[CLUSTERS_ANNOTATION]?.split(',').map(s => s.trim()).filter(s => s).sort();
  return { groupKinds, namespaces, ...(clusters ? { clusters } : {}) };
}

/**
 * Why ksfed must not use an existing parent (another tool's, or an object that is not an ApplySet parent), or
 * undefined when it may.
 */
export function parentProblem(parent: any | undefined): string | undefined {
  if (!parent) return undefined;
  const where = `${APPLYSET_PARENT.namespace}/${APPLYSET_PARENT.name}`;
  const labels: { [k: string]: string } = parent.metadata?.labels ?? {};
  const annotations: { [k: string]: string } = parent.metadata?.annotations ?? {};
  const tooling = annotations[APPLYSET_TOOLING_ANNOTATION];
  if (tooling !== undefined) {
    const base = tooling.includes('/') ? tooling.slice(0, tooling.lastIndexOf('/')) : tooling;
    if (base !== TOOLING_NAME) {
      return `the ApplySet parent Secret ${where} is managed by "${tooling}", not ksfed; refusing to take it over. Fix: remove it or let its tool manage this cluster`;
    }
  }
  if (labels[APPLYSET_ID_LABEL] !== undefined && labels[APPLYSET_ID_LABEL] !== KSFED_APPLYSET_ID) {
    return `the Secret ${where} carries ${APPLYSET_ID_LABEL}=${labels[APPLYSET_ID_LABEL]}, not ${KSFED_APPLYSET_ID}; refusing to use it`;
  }
  if (tooling === undefined && labels[APPLYSET_ID_LABEL] === undefined) {
    return `a Secret ${where} exists but is not an ApplySet parent; refusing to take it over. Fix: delete or rename it`;
  }
  return undefined;
}

/** The parent object recording `state` (and, on the host, its record of the clusters), for server-side apply. */
export function parentManifest(state: ApplySetState, version = toolingVersion()): any {
  const groupKinds = [...state.groupKinds.keys()].sort();
  return {
    apiVersion: APPLYSET_PARENT.apiVersion,
    kind: APPLYSET_PARENT.kind,
    metadata: {
      name: APPLYSET_PARENT.name,
      namespace: APPLYSET_PARENT.namespace,
      labels: { [APPLYSET_ID_LABEL]: KSFED_APPLYSET_ID },
      annotations: {
        [APPLYSET_TOOLING_ANNOTATION]: `${TOOLING_NAME}/${version}`,
        [APPLYSET_GROUP_KINDS_ANNOTATION]: groupKinds.join(','),
        [APPLYSET_NAMESPACES_ANNOTATION]: [...state.namespaces].filter(n => n !== APPLYSET_PARENT.namespace).sort().join(','),
        [GROUP_KIND_VERSIONS_ANNOTATION]: groupKinds.filter(gk => state.groupKinds.get(gk)).map(gk => `${gk}=${state.groupKinds.get(gk)}`).join(','),
        ...(state.clusters ? { [CLUSTERS_ANNOTATION]: [...state.clusters].sort().join(',') } : {}),
      },
    },
    type: 'Opaque',
  };
}

/**
 * The order in which prune candidates are deleted: custom resources and namespaced objects first, then
 * cluster-scoped ones, Namespaces next to last and CustomResourceDefinitions last (the reverse of apply order).
 */
export function pruneRank(o: { apiVersion: string; kind: string; namespace?: string }): number {
  if (o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io') return 4;
  if (o.kind === 'Namespace' && groupOf(o.apiVersion) === '') return 3;
  if (!o.namespace) return 2;
  return 1;
}
