/**
 * The contract between synth and apply: `federation.json`, the file `FederationApp.synth()` writes next to the
 * cluster folders and `ksfed` reads instead of re-running the program. The library writes it with these types and
 * `ksfed` reads it with them; `schemas/federation.schema.json` is its JSON Schema.
 *
 * This module imports nothing, so that both sides (and the packages they ship in) can depend on it alone.
 * Only `ApplyPhase` and `ClusterRole` are part of the jsii API (exported from src/index.ts); the rest uses
 * TypeScript types jsii cannot express.
 */

/** The name of the file, in the synth output folder. */
export const FEDERATION_FILE = 'federation.json';

/** Its `apiVersion`: changes when a change of the contract would mislead an older `ksfed`. */
export const FEDERATION_API_VERSION = 'ksfed.kubesphere-federation/v1';

/** Its `kind`. */
export const FEDERATION_KIND = 'Federation';

/** Its `generator`: the library that wrote it. */
export const FEDERATION_GENERATOR = 'cdk8s-kubesphere-federation';

/**
 * The apply phases, in order. Each synthesized object belongs to exactly one.
 */
export enum ApplyPhase {
  /** CustomResourceDefinitions; `ksfed` waits for them to be Established. */
  CRDS = 'crds',
  /** Namespaces. */
  NAMESPACES = 'namespaces',
  /** ClusterRoles, ClusterRoleBindings, Roles and RoleBindings. */
  RBAC = 'rbac',
  /** ServiceAccounts, ConfigMaps, Secrets and other configuration. */
  CONFIG = 'config',
  /** Deployments, StatefulSets, Services and other workloads; `ksfed` waits for rollouts. */
  WORKLOADS = 'workloads',
  /** Admission webhook configurations, once the webhook servers run. */
  WEBHOOKS = 'webhooks',
  /** Every other custom resource. */
  CUSTOM_RESOURCES = 'custom-resources',
}

/** The apply phases in apply order (federation.json `phases`). */
export const APPLY_PHASES: readonly ApplyPhase[] = [
  ApplyPhase.CRDS, ApplyPhase.NAMESPACES, ApplyPhase.RBAC, ApplyPhase.CONFIG, ApplyPhase.WORKLOADS, ApplyPhase.WEBHOOKS, ApplyPhase.CUSTOM_RESOURCES,
];

/** A phase as written in federation.json (`'crds'`, `'namespaces'`, ...). */
export type PhaseName = `${ApplyPhase}`;

/** The role of a cluster in the federation. */
export enum ClusterRole {
  /** The cluster with the central control plane (KubeFed, tower). */
  HOST = 'host',
  /** A cluster managed by the host. */
  MEMBER = 'member',
}

/** A role as written in federation.json. */
export type ClusterRoleName = `${ClusterRole}`;

/** How the host reaches a member: `direct` (a kubeconfig in its `Cluster`) or `proxy` (the agent dials tower). */
export type ConnectionType = 'direct' | 'proxy';

/** What `ksfed` waits for once an object is applied: a CRD `Established`, a workload rolled out. */
export type WaitFor = 'established' | 'rollout';

/** The connection types, the wait rules and the placeholder encodings, as lists (for checks and the schema test). */
export const CONNECTION_TYPES: readonly ConnectionType[] = ['direct', 'proxy'];
/** See `WaitFor`. */
export const WAIT_FOR_RULES: readonly WaitFor[] = ['established', 'rollout'];
/** See `PlaceholderEncoding`. */
export const PLACEHOLDER_ENCODINGS: readonly PlaceholderEncoding[] = ['raw', 'base64'];

/** The whole file. */
export interface FederationJson {
  readonly apiVersion: typeof FEDERATION_API_VERSION;
  readonly kind: typeof FEDERATION_KIND;
  /** The library that wrote it. */
  readonly generator: string;
  /** The KubeSphere version the output targets (`v3.4.1`). */
  readonly kubesphereVersion: string;
  /** The name of the host cluster (the one cluster with role `host`). */
  readonly host: string;
  /** Every phase, in apply order. */
  readonly phases: PhaseName[];
  /** Host first, then members in creation order. */
  readonly clusters: FederationJsonCluster[];
  /** The apply-time placeholders the manifests hold, sorted by id. */
  readonly placeholders: FederationJsonPlaceholder[];
}

/** The capacity the program declares for a cluster (federation.json `clusters[].capacity`). */
export interface FederationJsonCapacity {
  readonly nodes?: number;
  readonly cpu?: string;
  readonly memory?: string;
}

/** One cluster and its folder. */
export interface FederationJsonCluster {
  /** The cluster name (a DNS-1123 label). */
  readonly name: string;
  readonly role: ClusterRoleName;
  /** Its folder in the output folder (the cluster name). */
  readonly folder: string;
  /** The default kubeconfig context (`ksfed --context CLUSTER=CONTEXT` overrides it). */
  readonly context: string;
  /** Members only: how the host reaches it. */
  readonly connection?: ConnectionType;
  /** Clusters whose apply must finish first (their state fills this cluster's placeholders). */
  readonly dependsOn: string[];
  /** Members only: the host that manages it. */
  readonly host?: string;
  /** The labels of its `Cluster` object (region, group, visibility). */
  readonly labels: { [key: string]: string };
  /** Host only: who installs KubeFed and tower (`library` or `installer`). */
  readonly componentOwner?: 'library' | 'installer';
  /** The capacity the program declares, when it does. */
  readonly capacity?: FederationJsonCapacity;
  /** The construct path of its chart. */
  readonly constructPath: string;
  /** The phases its objects use, in apply order. */
  readonly phases: PhaseName[];
  /** Namespaces a project's FederatedNamespace places on this cluster (KubeFed makes them; prune keeps them). */
  readonly federatedNamespaces?: string[];
  /** Its objects, in apply order: one file each. */
  readonly objects: FederationJsonObject[];
}

/** One object of a cluster's folder. */
export interface FederationJsonObject {
  /** The file name inside the cluster's folder. */
  readonly file: string;
  readonly phase: PhaseName;
  readonly apiVersion: string;
  readonly kind: string;
  /** Absent for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
  /** What `ksfed` waits for once the object is applied. */
  readonly waitFor?: WaitFor;
  /** The construct path that produced it. */
  readonly constructPath: string;
}

/** How a placeholder's value is written where it stands: as is, or base64-encoded. */
export type PlaceholderEncoding = 'raw' | 'base64';

/** One apply-time placeholder. */
export interface FederationJsonPlaceholder {
  /** Unique id, e.g. `jwt-secret` or `kubeconfig/edge-1` (see `PLACEHOLDER_ID`). */
  readonly id: string;
  /** What the value is, e.g. `jwt-secret`, `kubeconfig`, `agent-token`, `proxy-address`. */
  readonly kind: string;
  /** One sentence for humans. */
  readonly description: string;
  readonly encoding: PlaceholderEncoding;
  /** Whether the value is a credential: never printed, never written to disk. */
  readonly secret: boolean;
  /** Where `ksfed` gets the value. */
  readonly source: PlaceholderSource;
  /** Clusters whose state must be applied before the value can be resolved. */
  readonly requires: string[];
  /** Every place the placeholder stands. */
  readonly occurrences: PlaceholderOccurrence[];
}

/** A place in a synthesized file where a placeholder stands. */
export interface PlaceholderOccurrence {
  readonly cluster: string;
  /** `<folder>/<file>`. */
  readonly file: string;
  /** JSON pointer inside the object. */
  readonly pointer: string;
}

/** Where a placeholder's value comes from: one of these, told apart by `type`. */
export type PlaceholderSource =
  | EnvSource | FileSource | ContextSource | HostSecretSource | GenerateSource | ReadObjectSource | ServiceAddressSource
  | WebhookCertificateSource;

/** The `type` of every placeholder source. */
export type PlaceholderSourceType = PlaceholderSource['type'];

/** Every source type, in documentation order. */
export const PLACEHOLDER_SOURCE_TYPES: readonly PlaceholderSourceType[] = [
  'env', 'file', 'context', 'host-secret', 'generate', 'read-object', 'service-address', 'webhook-certificate',
];

/** An environment variable of `ksfed`'s process. */
export interface EnvSource {
  readonly type: 'env';
  /** The variable. */
  readonly name: string;
  /** Kubeconfigs: the context to reduce it to (default: its current-context). */
  readonly context?: string;
  /** Kubeconfigs: the member it reaches. */
  readonly member?: string;
}

/** A file read by `ksfed` (trailing newlines dropped). */
export interface FileSource {
  readonly type: 'file';
  readonly path: string;
  /** Kubeconfigs: the context to reduce it to (default: its current-context). */
  readonly context?: string;
  /** Kubeconfigs: the member it reaches. */
  readonly member?: string;
}

/** A context of the kubeconfig `ksfed` runs with, reduced to its cluster and user. */
export interface ContextSource {
  readonly type: 'context';
  /** The context (default: the member's context, which `--context MEMBER=CONTEXT` overrides). */
  readonly context?: string;
  /** The member it reaches. */
  readonly member?: string;
}

/** A key of a Secret on a cluster (default: the host). */
export interface HostSecretSource {
  readonly type: 'host-secret';
  readonly cluster?: string;
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

/** Where an existing value is read from: a JSON pointer into an object on a cluster (default: the host). */
export interface ObjectPointer {
  readonly cluster?: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** JSON pointer of the value inside the object. */
  readonly pointer: string;
}

/** Random bytes made by `ksfed`, or the value an earlier apply left at `reuse`. */
export interface GenerateSource {
  readonly type: 'generate';
  /** How many random bytes (default 32). */
  readonly bytes?: number;
  /** How they are written (default hex). */
  readonly format?: 'hex' | 'base64';
  /** Where an earlier value is kept: reused when present. */
  readonly reuse?: ObjectPointer;
}

/** A value another component writes into an object (tower's agent token): `ksfed` waits for it. */
export interface ReadObjectSource extends ObjectPointer {
  readonly type: 'read-object';
  /** Whether to wait for the value to appear. */
  readonly wait?: boolean;
}

/** `<scheme>://<address>:<port>` of a LoadBalancer Service's external address, on a cluster (default: the host). */
export interface ServiceAddressSource {
  readonly type: 'service-address';
  readonly cluster?: string;
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  /** Default http. */
  readonly scheme?: 'http' | 'https';
}

/** One part of a serving certificate `ksfed` makes (and keeps while the Secret's is valid). */
export interface WebhookCertificateSource {
  readonly type: 'webhook-certificate';
  readonly cluster?: string;
  /** The namespace and name of the Secret that keeps it. */
  readonly namespace: string;
  readonly secret: string;
  readonly part: 'ca' | 'cert' | 'key';
  readonly dnsNames: string[];
  /** Default 365. */
  readonly validDays?: number;
  /** Renewed when it expires within this many days (default 30). */
  readonly renewBeforeDays?: number;
}

/** What stands before a placeholder's id in a manifest. */
export const PLACEHOLDER_TOKEN_PREFIX = '{{ksfed:';
/** What stands after it. */
export const PLACEHOLDER_TOKEN_SUFFIX = '}}';
/**
 * The syntax of a placeholder id, as the source of a regular expression: lowercase letters, digits, `.`, `/`, `_`
 * and `-`, starting with a letter or digit.
 */
export const PLACEHOLDER_ID_SYNTAX = '[a-z0-9][a-z0-9./_-]*';
/** Matches a whole placeholder id. */
export const PLACEHOLDER_ID = new RegExp(`^${PLACEHOLDER_ID_SYNTAX}$`);
/** Matches every placeholder token in a string; group 1 is the id. Global: use it with `matchAll`, `replace`, `split`. */
export const PLACEHOLDER_PATTERN = new RegExp(
  `${escapeRegExp(PLACEHOLDER_TOKEN_PREFIX)}(${PLACEHOLDER_ID_SYNTAX})${escapeRegExp(PLACEHOLDER_TOKEN_SUFFIX)}`, 'g');

/** The string that stands for placeholder `id` in a manifest: `{{ksfed:<id>}}`. */
export function placeholderToken(id: string): string {
  return `${PLACEHOLDER_TOKEN_PREFIX}${id}${PLACEHOLDER_TOKEN_SUFFIX}`;
}

/** Whether a string may hold a placeholder token (a quick test before `PLACEHOLDER_PATTERN`). */
export function mayHoldPlaceholder(text: string): boolean {
  return text.includes(PLACEHOLDER_TOKEN_PREFIX);
}

/** The JSON pointer of a path of keys (`['data', 'a/b']` -> `/data/a~1b`): how occurrences name a place. */
export function pointerOf(keys: readonly string[]): string {
  return keys.map(k => `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Walks a JSON value and reports every placeholder token of its strings, with the JSON pointer and the string. */
export function findPlaceholders(value: unknown, visit: (id: string, pointer: string, text: string) => void, pointer = ''): void {
  if (typeof value === 'string') {
    for (const match of value.matchAll(PLACEHOLDER_PATTERN)) visit(match[1], pointer, value);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => findPlaceholders(item, visit, `${pointer}/${index}`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) findPlaceholders(item, visit, `${pointer}${pointerOf([key])}`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The annotation that keeps an object from `ksfed --prune` (value `never`). */
export const PRUNE_ANNOTATION = 'ksfed.kubesphere-federation/prune';
