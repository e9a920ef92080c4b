import * as crypto from 'crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { parseQuantity as parseKubeQuantity } from 'cdk8s-kubesphere-federation/lib/contract/quantity';
import { APPLYSET_PART_OF_LABEL, KSFED_APPLYSET_ID } from './applyset';
import { COMPONENT_DEPLOYMENTS, GatherMode, KUBEFED_NAMESPACE, LiveCluster, WORKSPACE_LABEL } from './doctor-live';
import { Federation, FederationCluster, FederationObject, groupOf } from './federation';
import { KUBESPHERE_SYSTEM } from './kubesphere-check';

/** How bad a finding is: `error` makes joins fail (and refuses `apply`), `warning` may, `info` is worth knowing. */
export type Severity = 'error' | 'warning' | 'info';

/** One thing `doctor` found on one cluster. Plain data; secrets are never part of it (only whether they differ). */
export interface Finding {
  readonly severity: Severity;
  readonly cluster: string;
  /** The stable id of the check (see CHECKS). */
  readonly check: string;
  /** What was seen. */
  readonly seen: string;
  /** Why it breaks (or may break) the federation, with the upstream issue where there is one. */
  readonly why: string;
  /** What to do. */
  readonly fix: string;
}

/** A check of `doctor`, as the README lists it. */
export interface CheckInfo {
  readonly id: string;
  /** The severities it reports. */
  readonly severities: readonly Severity[];
  /** What it detects. */
  readonly detects: string;
  /** Why that breaks a join or the federation, with the upstream issue where there is one. */
  readonly why: string;
  /** The fix in general (each finding names its own, for its cluster). */
  readonly fix: string;
  /**
   * Whether its error findings refuse `apply` (the preflight): every check that can find an error, but
   * `cluster-unreachable` (apply reports an unreachable cluster on its own and goes on with the others).
   */
  readonly preflight: boolean;
}

const ISSUES = 'kubesphere/kubesphere';

/** Every check of `doctor`, in the order findings are listed. */
export const CHECKS: readonly CheckInfo[] = [
  {
    id: 'cluster-unreachable',
    severities: ['error'],
    preflight: false,
    detects: 'the cluster\'s API server does not answer (or answers with an error) through its kubeconfig context',
    why: 'nothing can be checked or applied there; for a member, the host cannot reach it either if ksfed cannot',
    fix: 'check the kubeconfig context (server, credentials) and the network; pass --context CLUSTER=CONTEXT',
  },
  {
    id: 'same-live-cluster',
    severities: ['error'],
    preflight: true,
    detects: 'two clusters of the folder reach the same live cluster (same kube-system namespace uid), e.g. through two addresses of one API server',
    why: `ksfed would apply both folders to one cluster; KubeSphere refuses to import one cluster twice (it tells clusters apart by the kube-system uid; ${ISSUES}#4625)`,
    fix: 'point each cluster\'s context at its own cluster (--context CLUSTER=CONTEXT)',
  },
  {
    id: 'kubesphere-not-installed',
    severities: ['error'],
    preflight: true,
    detects: 'KubeSphere\'s CRDs are not served or namespace kubesphere-system does not exist where the folder needs them',
    why: 'the ClusterConfiguration, Cluster and agent objects cannot be applied, and a member without KubeSphere never joins ("Waiting for the cluster to join...", kubesphere/kubesphere#4131)',
    fix: 'install KubeSphere v3.4 with ks-installer first (kubesphere-installer.yaml, then cluster-configuration.yaml)',
  },
  {
    id: 'kubesphere-version-unsupported',
    severities: ['error'],
    preflight: true,
    detects: 'the KubeSphere running there (ks-apiserver\'s version label or image tag) is not the minor version the folder was made for (v3.4.x)',
    why: `host and members of other minor versions disagree on APIs and the join (${ISSUES}#3665: a v3.0 member under a v3.1 host)`,
    fix: 'upgrade (or install) KubeSphere v3.4 on the cluster with ks-installer',
  },
  {
    id: 'kubernetes-version-unsupported',
    severities: ['error', 'warning'],
    preflight: true,
    detects: 'Kubernetes older than v1.19 (error: ks-installer v3.4.1 refuses it), or v1.19 / newer than v1.26 (warning: outside the v1.20-v1.26 KubeSphere 3.4 documents)',
    why: 'ks-installer stops with "The current Kubernetes version is not supported" below v1.19 (roles/preinstall/tasks/precheck.yaml); KubeSphere 3.4 is tested on v1.20 to v1.26',
    fix: 'run KubeSphere 3.4 on Kubernetes v1.20 to v1.26',
  },
  {
    id: 'member-no-ks-apiserver',
    severities: ['error', 'warning'],
    preflight: true,
    detects: 'a member without Service or Deployment kubesphere-system/ks-apiserver (error), or whose ks-apiserver has no available replica (warning)',
    why: `the host reaches a member's KubeSphere API through the member's kube-apiserver service proxy (and the agent forwards to ks-apiserver.kubesphere-system.svc): "services \\"ks-apiserver\\" not found" (${ISSUES}#4480)`,
    fix: 'install KubeSphere on the member (ks-installer) and wait until ks-apiserver runs',
  },
  {
    id: 'cluster-role-change',
    severities: ['error', 'warning'],
    preflight: true,
    detects: 'the live clusterRole (ClusterConfiguration ks-installer spec.multicluster.clusterRole, else kubesphere-config) is host and the folder makes the cluster a member, or the other way round (warning with --allow-role-change)',
    why: `KubeSphere's guide forbids turning a host into a member or back: KubeFed, tower and the workspaces of the old role stay behind and fight the new one (${ISSUES}#5877, #4038)`,
    fix: 'keep the cluster\'s role, or move its projects first and reinstall KubeSphere; rerun with --allow-role-change to change it anyway',
  },
  {
    id: 'jwt-secret-unavailable',
    severities: ['error'],
    preflight: true,
    detects: 'the jwtSecret the program gives the members cannot be had: the host has no kubesphere-system/kubesphere-secret (JwtSecret.fromHostCluster()), or its environment variable or file is missing',
    why: 'apply would wait for the value and never write the members\' ClusterConfiguration; without the host\'s secret no member can accept the host\'s tokens',
    fix: 'install KubeSphere on the host (ks-installer makes kubesphere-secret), or set the variable or file the program names',
  },
  {
    id: 'jwt-secret-host-differs',
    severities: ['error', 'warning'],
    preflight: true,
    detects: 'the host runs with a jwtSecret (kubesphere-config) other than the one the program gives the members: apply rotates the host\'s (warning), or nothing in this run makes them equal (error)',
    why: `tokens the host signs are then refused by the members: "signature is invalid", "session timeout" (${ISSUES}#2406, #5344, #3935, #6476)`,
    fix: 'give the program the host\'s jwtSecret, or let apply rotate it knowing every session ends; restart ks-installer on the host if its kubesphere-config and kubesphere-secret disagree',
  },
  {
    id: 'jwt-secret-mismatch',
    severities: ['error'],
    preflight: true,
    detects: 'a member runs with a jwtSecret (its kubesphere-config) other than the federation\'s although its ClusterConfiguration already asks for the right one: ks-installer did not apply it, and this run (which changes nothing there) will not make it',
    why: `members must share the host's jwtSecret: host tokens are refused there, the console shows "session timeout" and 401s (${ISSUES}#2406, #5344, #3935)`,
    fix: 'restart ks-installer on the member (kubectl -n kubesphere-system rollout restart deploy/ks-installer) and wait, or set authentication.jwtSecret in its ClusterConfiguration',
  },
  {
    id: 'member-access-token-max-age',
    severities: ['warning'],
    preflight: false,
    detects: 'a member whose kubesphere-config has authentication.oauthOptions.accessTokenMaxAge other than 0 (or unset: 2h) and that this run does not change',
    why: `a member validates host-issued tokens with its own expiry: users moving from the host to the member are logged out ("session timeout", ${ISSUES}#2413)`,
    fix: 'set accessTokenMaxAge: 0 in the member\'s ClusterConfiguration (the library does) and let ks-installer apply it',
  },
  {
    id: 'member-managed-by-another-host',
    severities: ['error'],
    preflight: true,
    detects: 'a member holding KubeSphere\'s join ServiceAccount (kube-federation-system/<name>-kubesphere) while the host has no Cluster of it (by kube-system uid)',
    why: `another host's KubeFed manages it: two control planes push workspaces and users into one cluster ("current cluster is managed by another host cluster", ${ISSUES}#6340)`,
    fix: 'unbind the member from its other host first (delete its Cluster there), then import it here',
  },
  {
    id: 'member-renamed',
    severities: ['error'],
    preflight: true,
    detects: 'a member the host already knows under another name (a Cluster with its kube-system uid), or that was joined before under another name (kubesphere-config multicluster.clusterName)',
    why: 'KubeSphere refuses the same cluster twice, and its guide asks to re-import a member under the name it had: workspace and user bindings name the old one',
    fix: 'name the Member as before, or unbind the old Cluster first',
  },
  {
    id: 'member-cluster-swapped',
    severities: ['error'],
    preflight: true,
    detects: 'the host\'s Cluster of this member belongs to another cluster (its status.uid is not the kube-system uid the member\'s context reaches)',
    why: 'KubeSphere\'s Cluster webhook refuses a kubeconfig of another cluster; the context points at the wrong cluster, or the member was rebuilt',
    fix: 'point the member\'s context at the cluster the host knows, or unbind (delete) the host\'s Cluster first',
  },
  {
    id: 'member-workspace-conflict',
    severities: ['error'],
    preflight: true,
    detects: 'a member holding a Workspace labelled kubefed.io/managed=true whose WorkspaceTemplate in this federation is not placed on it',
    why: `KubeFed deletes that workspace (and KubeSphere refuses the join since the fix of ${ISSUES}#3169): its projects lose their workspace`,
    fix: 'place the workspace on the member as well, or rename or unlabel the member\'s workspace before joining',
  },
  {
    id: 'member-not-clean',
    severities: ['warning'],
    preflight: false,
    detects: 'a member with Workspaces, WorkspaceTemplates or workspace-labelled namespaces the program does not declare (system-workspace aside)',
    why: 'KubeSphere\'s guide asks to import clean members: their workspaces are not synced back to the host and clash with the host\'s',
    fix: 'move or delete them before joining (unbind the projects: remove the kubesphere.io/workspace label), or declare them in the program',
  },
  {
    id: 'direct-kubeconfig-unavailable',
    severities: ['error'],
    preflight: true,
    detects: 'the kubeconfig a direct member\'s Cluster gets cannot be made: a missing context, file or environment variable, a credential plugin',
    why: 'the host\'s Cluster object needs a self-contained kubeconfig; without it the member is never joined',
    fix: 'give the member a context (--context) or kubeconfig source that exists and holds a token or client certificate',
  },
  {
    id: 'direct-kubeconfig-server-loopback',
    severities: ['warning'],
    preflight: false,
    detects: 'a direct member\'s kubeconfig server is 127.0.0.1, ::1 or localhost',
    why: 'the host\'s pods dial that address inside themselves, not the member (a kind or port-forward address): the join waits forever',
    fix: 'use the member API server\'s address as the host\'s nodes reach it (Kubeconfig.fromFile with that server), or Connection.agent()',
  },
  {
    id: 'direct-kubeconfig-server-private',
    severities: ['info'],
    preflight: false,
    detects: 'a direct member\'s kubeconfig server is a private address (10/8, 172.16/12, 192.168/16, 100.64/10, link-local, fc00::/7)',
    why: 'the host reaches it only from the same network; across networks use the agent',
    fix: 'make sure the host\'s nodes route to it, or use Connection.agent()',
  },
  {
    id: 'direct-kubeconfig-token-only',
    severities: ['warning'],
    preflight: false,
    detects: 'a direct member\'s kubeconfig authenticates with a bearer token only (no client certificate)',
    why: `such tokens are often short-lived or die with their ServiceAccount, KubeSphere cannot warn before they expire (it watches certificates only), and its proxy of websocket requests failed with them (${ISSUES}#5395, #3263)`,
    fix: 'give the host a kubeconfig with a client certificate, or a long-lived token you renew',
  },
  {
    id: 'direct-kubeconfig-credential-expired',
    severities: ['error'],
    preflight: true,
    detects: 'a direct member\'s kubeconfig holds a client certificate that has expired (or is not valid yet), or a token (JWT) past its exp',
    why: 'the member\'s API server refuses the host: the Cluster stays not Ready (Unauthorized)',
    fix: 'renew the credentials of the member\'s kubeconfig and apply again',
  },
  {
    id: 'direct-kubeconfig-credential-expiring',
    severities: ['warning'],
    preflight: false,
    detects: 'a direct member\'s kubeconfig credential (client certificate, or token with an exp) expires within 7 days',
    why: 'the member drops out once it expires (KubeSphere only raises KubeConfigCertExpiresInSevenDays on the Cluster)',
    fix: 'renew it and apply again before it expires',
  },
  {
    id: 'app-store-member-only',
    severities: ['warning'],
    preflight: false,
    detects: 'the App Store (ClusterConfiguration openpitrix.store.enabled) is on on a member and off on the host',
    why: 'the App Store is global: enabled only on members it is available nowhere (KubeSphere\'s multi-cluster guide)',
    fix: 'enable it on the host (Host appStore: true) and turn it off on the member',
  },
  {
    id: 'agent-no-tower-address',
    severities: ['warning'],
    preflight: false,
    detects: 'an agent member that dials tower at its LoadBalancer address, while the host\'s tower Service has none (pending) and no proxyPublishAddress is set',
    why: `the agent gets no address to dial and the member waits to join forever (${ISSUES}#3626, kubesphere/tower#49)`,
    fix: 'give the host a load balancer (MetalLB, a cloud), or set proxyPublishAddress on the Host (NodePort tower) or the agent\'s proxyAddress',
  },
  {
    id: 'node-allocatable-insufficient',
    severities: ['error'],
    preflight: true,
    detects: 'the Ready nodes\' allocatable CPU or memory is below what the folder\'s workloads request, or no node fits one of their pods',
    why: 'the components stay Pending and apply waits for rollouts that never finish',
    fix: 'add nodes or capacity, or lower the components\' sizes in the program',
  },
  {
    id: 'components-two-owners',
    severities: ['error'],
    preflight: true,
    detects: 'KubeFed or tower already installed on the host by someone else (ks-installer\'s Helm release or tower.yaml) while the folder installs them (ComponentOwner.LIBRARY)',
    why: 'two owners fight over one Deployment: apply conflicts with the other field manager, and ks-installer\'s copy comes back',
    fix: 'use ComponentOwner.INSTALLER on the Host, or remove the installer\'s KubeFed and tower first',
  },
];

const CHECK_IDS = new Set(CHECKS.map(c => c.id));

/** The check with that id. */
export function checkInfo(id: string): CheckInfo {
  const c = CHECKS.find(x => x.id === id);
  if (!c) throw new Error(`unknown doctor check ${id}`);
  return c;
}

/** The jwtSecret the program gives the members, or why it cannot be had. */
export interface ExpectedJwtSecret {
  /** The value (compared, never shown). */
  readonly value?: string;
  /** Why there is no value. */
  readonly problem?: string;
  /** Where it comes from, for messages (`the host's kubesphere-secret`, `environment variable KS_JWT_SECRET`). */
  readonly source: string;
  /** Whether it comes from the host's kubesphere-secret (JwtSecret.fromHostCluster()). */
  readonly fromHost: boolean;
}

/** The kubeconfig a direct member's Cluster gets, or why it cannot be made. */
export interface DirectKubeconfig {
  readonly text?: string;
  readonly problem?: string;
  /** Where it comes from, for messages. */
  readonly source: string;
}

/** What the checks look at. */
export interface CheckInput {
  readonly federation: Federation;
  /** The clusters the run is about (findings are about them, and the host's jwtSecret). */
  readonly selected: Set<string>;
  /** The live state of every cluster the run talks to that answered. */
  readonly live: Map<string, LiveCluster>;
  /** Clusters that did not answer, and why. */
  readonly unreachable: Map<string, string>;
  /** Clusters where KubeSphere is not installed, and what is missing (doctor; apply's session refuses them first). */
  readonly kubesphereMissing: Map<string, string>;
  readonly jwtSecret?: ExpectedJwtSecret;
  readonly kubeconfigs: Map<string, DirectKubeconfig>;
  readonly allowRoleChange: boolean;
  readonly now: Date;
  readonly mode: GatherMode;
}

interface Ctx extends CheckInput {
  readonly host: FederationCluster;
  readonly out: Finding[];
  /** Clusters whose live cluster is also another cluster's (identity checks are left out there). */
  readonly duplicates: Set<string>;
}

/** Runs every check on what was read; findings ordered by cluster (federation.json order), then CHECKS order. */
export function runChecks(input: CheckInput): Finding[] {
  const host = input.federation.clusters.find(c => c.name === input.federation.host)!;
  const ctx: Ctx = { ...input, host, out: [], duplicates: new Set() };
  for (const c of input.federation.clusters) {
    const why = input.unreachable.get(c.name);
    if (why !== undefined && input.selected.has(c.name)) {
      add(ctx, 'error', c.name, 'cluster-unreachable', `the API server did not answer: ${why}`, `check the context of ${c.name} (server, credentials) and the network`);
    }
  }
  checkSameLiveCluster(ctx);
  for (const c of input.federation.clusters) {
    if (!input.selected.has(c.name) || input.unreachable.has(c.name)) continue;
    const live = input.live.get(c.name);
    checkKubernetesVersion(ctx, c, live);
    checkNodes(ctx, c, live);
    const missing = input.kubesphereMissing.get(c.name);
    if (missing !== undefined) {
      add(ctx, 'error', c.name, 'kubesphere-not-installed', `KubeSphere is not installed: ${missing}`, `install KubeSphere v3.4 with ks-installer on ${c.name}, or point --context ${c.name}=CONTEXT at a cluster that runs it`);
      continue;
    }
    if (!live) continue;
    checkKubeSphereVersion(ctx, c, live);
    checkRole(ctx, c, live);
    if (c.role === 'member') {
      checkKsApiServer(ctx, c, live);
      checkMemberIdentity(ctx, c, live);
      checkWorkspaces(ctx, c, live);
      checkAccessTokenMaxAge(ctx, c, live);
      checkAppStore(ctx, c, live);
      if (c.connection === 'direct') checkDirectKubeconfig(ctx, c);
      if (c.connection === 'proxy' && input.mode === 'full') checkTowerAddress(ctx, c);
    } else {
      checkComponentOwners(ctx, c, live);
    }
  }
  checkJwtSecret(ctx);
  const order = (f: Finding) => [input.federation.clusters.findIndex(c => c.name === f.cluster), CHECKS.findIndex(c => c.id === f.check)];
  return ctx.out.map((f, i) => ({ f, i })).sort((a, b) => {
    const [ca, ka] = order(a.f);
    const [cb, kb] = order(b.f);
    return ca - cb || ka - kb || a.i - b.i;
  }).map(x => x.f);
}

function add(ctx: Ctx, severity: Severity, cluster: string, check: string, seen: string, fix: string, why?: string): void {
  if (!CHECK_IDS.has(check)) throw new Error(`unknown doctor check ${check}`);
  ctx.out.push({ severity, cluster, check, seen, why: why ?? checkInfo(check).why, fix });
}

// ------------------------------------------------------------------------------------------------------------------
// Identity

function checkSameLiveCluster(ctx: Ctx): void {
  const byUid = new Map<string, string[]>();
  for (const c of ctx.federation.clusters) {
    const uid = ctx.live.get(c.name)?.kubeSystemUid;
    if (typeof uid !== 'string' || ctx.unreachable.has(c.name)) continue;
    byUid.set(uid, [...(byUid.get(uid) ?? []), c.name]);
  }
  for (const [uid, names] of byUid) {
    if (names.length < 2 || !names.some(n => ctx.selected.has(n))) continue;
    for (const later of names.slice(1)) {
      ctx.duplicates.add(later);
      add(ctx, 'error', later, 'same-live-cluster', `${later} reaches the same cluster as ${names[0]} (kube-system uid ${uid})`,
        `pass --context ${later}=<the context of ${later}'s own cluster>, or correct the kubeconfig`);
    }
  }
}

function checkMemberIdentity(ctx: Ctx, c: FederationCluster, live: LiveCluster): void {
  const uid = live.kubeSystemUid;
  const hostClusters = ctx.live.get(ctx.host.name)?.clusters;
  if (typeof uid !== 'string' || ctx.duplicates.has(c.name)) return;
  const known = Array.isArray(hostClusters) ? hostClusters.find(x => x?.status?.uid === uid) : undefined;
  const sameName = Array.isArray(hostClusters) ? hostClusters.find(x => x?.metadata?.name === c.name) : undefined;
  const joinedAs = typeof live.config?.multicluster?.clusterName === 'string' ? live.config.multicluster.clusterName as string : undefined;
  if (sameName?.status?.uid && sameName.status.uid !== uid && !known) {
    add(ctx, 'error', c.name, 'member-cluster-swapped', `the host's Cluster ${c.name} belongs to another cluster (its status.uid ${sameName.status.uid} is not ${uid}, the kube-system uid context ${c.context} reaches)`,
      `point --context ${c.name}=CONTEXT at the cluster the host knows as ${c.name}, or unbind it on the host first (kubectl delete cluster ${c.name})`);
    return;
  }
  if (known && known.metadata?.name !== c.name) {
    add(ctx, 'error', c.name, 'member-renamed', `the host already has this cluster as Cluster ${known.metadata?.name} (same kube-system uid ${uid})`,
      `name the Member "${known.metadata?.name}" as before, or unbind Cluster ${known.metadata?.name} on the host first`);
    return;
  }
  if (!known && joinedAs !== undefined && joinedAs !== c.name) {
    add(ctx, 'error', c.name, 'member-renamed', `the cluster was joined before as "${joinedAs}" (kubesphere-config multicluster.clusterName)`,
      `name the Member "${joinedAs}" as before, or clean the member of its old federation first`);
    return;
  }
  const joins = (live.kubefedServiceAccounts ?? []).filter(n => n.endsWith('-kubesphere'));
  if (!known && Array.isArray(hostClusters) && joins.length > 0) {
    add(ctx, 'error', c.name, 'member-managed-by-another-host', `it holds KubeSphere's join ServiceAccount ${KUBEFED_NAMESPACE}/${joins[0]}, and the host has no Cluster of it`,
      `unbind it from its other host (delete its Cluster there, which removes ${joins[0]}), then apply`);
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Versions

/** `[major, minor, patch]` of `v3.4.1`, `1.26.15+k3s1`, `3.4`; undefined when it is not a version. */
export function parseVersion(v: unknown): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(String(v ?? ''));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function checkKubernetesVersion(ctx: Ctx, c: FederationCluster, live: LiveCluster | undefined): void {
  const v = live?.version;
  if (!v) return;
  // (gitVersion first; `major`/`minor` may carry a suffix, e.g. "26+")
  const parsed = parseVersion(v.gitVersion) ?? parseVersion(`${String(v.major ?? '').replace(/\D+$/, '')}.${String(v.minor ?? '').replace(/\D+$/, '')}`);
  if (!parsed) return;
  const [ma, mi] = parsed;
  const shown = v.gitVersion ?? `v${ma}.${mi}`;
  if (ma === 1 && mi < 19) {
    add(ctx, 'error', c.name, 'kubernetes-version-unsupported', `Kubernetes ${shown}: ks-installer v3.4.1 refuses versions below v1.19`, `upgrade ${c.name} to Kubernetes v1.20-v1.26`);
  } else if (ma === 1 && (mi === 19 || mi > 26)) {
    add(ctx, 'warning', c.name, 'kubernetes-version-unsupported', `Kubernetes ${shown} is outside v1.20-v1.26, which KubeSphere 3.4 supports`, `run ${c.name} on Kubernetes v1.20-v1.26, or test KubeSphere there first`);
  }
}

/** The version of the KubeSphere a ks-apiserver Deployment runs: its `version` label, else its image tag. */
export function kubesphereVersionOf(deployment: any): string | undefined {
  const label = deployment?.metadata?.labels?.version;
  if (parseVersion(label)) return String(label);
  const containers: any[] = deployment?.spec?.template?.spec?.containers ?? [];
  const image = String((containers.find(x => x?.name === 'ks-apiserver') ?? containers[0])?.image ?? '');
  const tag = /:([^:/@]+)(@.*)?$/.exec(image)?.[1];
  return parseVersion(tag) ? tag : undefined;
}

function checkKubeSphereVersion(ctx: Ctx, c: FederationCluster, live: LiveCluster): void {
  const running = kubesphereVersionOf(live.ksApiServer);
  const wanted = parseVersion(ctx.federation.kubesphereVersion ?? 'v3.4.1')!;
  const v = parseVersion(running);
  if (!v || (v[0] === wanted[0] && v[1] === wanted[1])) return;
  add(ctx, 'error', c.name, 'kubesphere-version-unsupported', `KubeSphere ${running} runs there (Deployment ${KUBESPHERE_SYSTEM}/ks-apiserver); the folder is made for v${wanted[0]}.${wanted[1]}.x`,
    `upgrade KubeSphere on ${c.name} to v${wanted[0]}.${wanted[1]} (ks-installer), or synthesize with the library version for KubeSphere ${running}`);
}

function checkKsApiServer(ctx: Ctx, c: FederationCluster, live: LiveCluster): void {
  const how = c.connection === 'proxy' ? 'its agent forwards to ks-apiserver.kubesphere-system.svc' : 'the host reaches it through the member\'s kube-apiserver service proxy';
  if (live.ksApiServerService === null) {
    add(ctx, 'error', c.name, 'member-no-ks-apiserver', `Service ${KUBESPHERE_SYSTEM}/ks-apiserver not found (${how})`, `install KubeSphere on ${c.name} with ks-installer`);
  } else if (live.ksApiServer === null) {
    add(ctx, 'error', c.name, 'member-no-ks-apiserver', `Deployment ${KUBESPHERE_SYSTEM}/ks-apiserver not found (${how})`, `install KubeSphere on ${c.name} with ks-installer`);
  } else if (live.ksApiServer && !((live.ksApiServer.status?.availableReplicas ?? 0) >= 1)) {
    add(ctx, 'warning', c.name, 'member-no-ks-apiserver', `Deployment ${KUBESPHERE_SYSTEM}/ks-apiserver has no available replica (0 of ${live.ksApiServer.spec?.replicas ?? 1})`,
      `check why: kubectl --context ${c.context} -n ${KUBESPHERE_SYSTEM} describe deploy ks-apiserver`);
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Role, jwtSecret, tokens

/** The folder's ClusterConfiguration ks-installer of a cluster. */
function folderCc(c: FederationCluster): any {
  return c.objects.find(o => o.kind === 'ClusterConfiguration' && groupOf(o.apiVersion) === 'installer.kubesphere.io' && o.name === 'ks-installer')?.manifest;
}

function liveRole(live: LiveCluster): { role?: string; where: string } {
  const cc = live.clusterConfiguration?.spec?.multicluster?.clusterRole;
  if (typeof cc === 'string') return { role: cc, where: 'ClusterConfiguration ks-installer spec.multicluster.clusterRole' };
  const config = live.config?.multicluster?.clusterRole;
  return { role: typeof config === 'string' ? config : undefined, where: 'kubesphere-config multicluster.clusterRole' };
}

function checkRole(ctx: Ctx, c: FederationCluster, live: LiveCluster): void {
  const { role, where } = liveRole(live);
  if (!role || role === c.role || !['host', 'member'].includes(role)) return;
  const seen = `the live clusterRole is ${role} (${where}); the folder makes ${c.name} a ${c.role}`;
  if (ctx.allowRoleChange) {
    add(ctx, 'warning', c.name, 'cluster-role-change', `${seen} (allowed by --allow-role-change)`, 'make sure the old role\'s KubeFed, tower and workspaces are gone');
  } else {
    add(ctx, 'error', c.name, 'cluster-role-change', seen, `keep ${c.name} a ${role}, or rerun with --allow-role-change once its projects are moved`);
  }
}

/** A jwtSecret the manifest sets (a placeholder counts as set). */
function setsJwt(cc: any): boolean {
  return typeof cc?.spec?.authentication?.jwtSecret === 'string' && cc.spec.authentication.jwtSecret.length > 0;
}

/** The jwtSecret a cluster will run with after this run: the expected one when the run changes its ClusterConfiguration to it. */
function predictedJwt(ctx: Ctx, c: FederationCluster, live: LiveCluster, expected: string): { value?: string; changes: boolean } {
  const running = live.config?.authentication?.jwtSecret;
  const changes = ctx.selected.has(c.name) && setsJwt(folderCc(c)) && live.clusterConfiguration?.spec?.authentication?.jwtSecret !== expected;
  return { value: changes ? expected : typeof running === 'string' ? running : undefined, changes };
}

function checkJwtSecret(ctx: Ctx): void {
  const expected = ctx.jwtSecret;
  if (!expected) return;
  const users = ctx.federation.clusters.filter(c => ctx.selected.has(c.name) && c.role === 'member' && !ctx.unreachable.has(c.name) && !ctx.kubesphereMissing.has(c.name));
  if (expected.value === undefined) {
    if (expected.problem) {
      const where = expected.fromHost ? ctx.host.name : users[0]?.name ?? ctx.host.name;
      add(ctx, 'error', where, 'jwt-secret-unavailable', `the jwtSecret (${expected.source}) cannot be had: ${expected.problem}`,
        expected.fromHost ? `install KubeSphere on ${ctx.host.name} (ks-installer makes kubesphere-secret), or give the Host a jwtSecret` : `provide ${expected.source}`);
    }
    return;
  }
  const hostLive = ctx.live.get(ctx.host.name);
  const hostRunning = hostLive?.config?.authentication?.jwtSecret;
  let hostAfter: string | undefined;
  if (hostLive && typeof hostRunning === 'string' && !ctx.unreachable.has(ctx.host.name)) {
    const host = predictedJwt(ctx, ctx.host, hostLive, expected.value);
    hostAfter = host.value;
    if (hostRunning !== expected.value && (ctx.selected.has(ctx.host.name) || users.length > 0)) {
      if (host.changes) {
        add(ctx, 'warning', ctx.host.name, 'jwt-secret-host-differs', `the host runs with another jwtSecret than ${expected.source}: this apply rotates it`,
          `apply only if you mean to rotate it: every session on ${ctx.host.name} ends, and every member must get it in the same run`);
      } else {
        add(ctx, 'error', ctx.host.name, 'jwt-secret-host-differs', `the host runs with a jwtSecret (kubesphere-config) that differs from ${expected.source}, which the members get`,
          expected.fromHost
            ? `restart ks-installer on ${ctx.host.name} so that kubesphere-config takes the value of kubesphere-secret again`
            : `give the program ${ctx.host.name}'s jwtSecret, or include ${ctx.host.name} in the run so that it gets ${expected.source}`);
      }
    }
  }
  if (hostAfter !== undefined && hostAfter !== expected.value) return; // (the host's finding is the cause)
  for (const m of users) {
    const live = ctx.live.get(m.name);
    const running = live?.config?.authentication?.jwtSecret;
    // (a member whose ClusterConfiguration does not ask for the value yet gets it from this run)
    if (!live || typeof running !== 'string' || running === expected.value || live.clusterConfiguration?.spec?.authentication?.jwtSecret !== expected.value) continue;
    add(ctx, 'error', m.name, 'jwt-secret-mismatch', `${m.name} runs with a jwtSecret (kubesphere-config) that differs from the host's, although its ClusterConfiguration asks for the host's: ks-installer has not applied it`,
      `restart ks-installer on ${m.name} (kubectl --context ${m.context} -n ${KUBESPHERE_SYSTEM} rollout restart deploy/ks-installer) and wait for it`);
  }
}

/** Whether a duration setting is zero (`0`, `"0"`, `"0s"`). */
function isZero(v: unknown): boolean {
  return v === 0 || (typeof v === 'string' && /^0+(s|m|h|ms)?$/.test(v.trim()));
}

function checkAccessTokenMaxAge(ctx: Ctx, c: FederationCluster, live: LiveCluster): void {
  if (!live.config) return;
  const value = live.config.authentication?.oauthOptions?.accessTokenMaxAge;
  if (isZero(value)) return;
  const cc = folderCc(c);
  const liveCc = live.clusterConfiguration?.spec;
  // ks-installer renders accessTokenMaxAge 0 for a member: this run fixes it when it changes the role or the setting
  const changes = ctx.selected.has(c.name) && cc !== undefined && (
    (cc.spec?.multicluster?.clusterRole === 'member' && liveCc?.multicluster?.clusterRole !== 'member')
    || (isZero(cc.spec?.authentication?.oauthOptions?.accessTokenMaxAge) && !isZero(liveCc?.authentication?.oauthOptions?.accessTokenMaxAge)));
  if (changes) return;
  add(ctx, 'warning', c.name, 'member-access-token-max-age', `kubesphere-config authentication.oauthOptions.accessTokenMaxAge is ${value === undefined ? 'not set (KubeSphere\'s default: 2h)' : JSON.stringify(value)}`,
    `restart ks-installer on ${c.name} so that it renders accessTokenMaxAge: 0 from its ClusterConfiguration (a hand edit of kubesphere-config does not last)`);
}

function checkAppStore(ctx: Ctx, c: FederationCluster, live: LiveCluster): void {
  const on = (cc: any) => cc?.spec?.openpitrix?.store?.enabled === true;
  if (!on(live.clusterConfiguration) && !on(folderCc(c))) return;
  const hostLive = ctx.live.get(ctx.host.name)?.clusterConfiguration;
  if (on(folderCc(ctx.host)) || on(hostLive)) return;
  add(ctx, 'warning', c.name, 'app-store-member-only', `the App Store is enabled on ${c.name} (ClusterConfiguration openpitrix.store.enabled) and not on the host`,
    `enable it on the Host (appStore: true) and turn it off in ${c.name}'s ClusterConfiguration`);
}

// ------------------------------------------------------------------------------------------------------------------
// Workspaces

const SYSTEM_WORKSPACE = 'system-workspace';
const MANAGED_LABEL = 'kubefed.io/managed';

/** Whether a WorkspaceTemplate's placement puts the workspace on the member (a selector's expressions count as yes). */
function placesOn(template: any, member: FederationCluster): boolean {
  const p = template?.spec?.placement ?? {};
  if (Array.isArray(p.clusters)) return p.clusters.some((x: any) => x?.name === member.name);
  if (p.clusterSelector && typeof p.clusterSelector === 'object') {
    const labels = p.clusterSelector.matchLabels ?? {};
    return Object.entries(labels).every(([k, v]) => member.labels[k] === v);
  }
  return false;
}

function checkWorkspaces(ctx: Ctx, c: FederationCluster, live: LiveCluster): void {
  const templates = new Map<string, any>();
  for (const o of ctx.host.objects) if (o.kind === 'WorkspaceTemplate' && groupOf(o.apiVersion) === 'tenant.kubesphere.io') templates.set(o.name, o.manifest);
  for (const t of ctx.live.get(ctx.host.name)?.workspaceTemplates ?? []) if (!templates.has(t?.metadata?.name)) templates.set(t?.metadata?.name, t);
  const placed = (ws: string) => templates.has(ws) && placesOn(templates.get(ws), c);
  const undeclared: string[] = [];
  for (const ws of live.workspaces ?? []) {
    const name = String(ws?.metadata?.name);
    if (name === SYSTEM_WORKSPACE) continue;
    if (ws?.metadata?.labels?.[MANAGED_LABEL] === 'true' && templates.has(name) && !placesOn(templates.get(name), c)) {
      add(ctx, 'error', c.name, 'member-workspace-conflict', `Workspace ${name} on ${c.name} is labelled ${MANAGED_LABEL}=true, and this federation's WorkspaceTemplate ${name} is not placed on ${c.name}`,
        `place workspace ${name} on ${c.name} too, or rename the member's workspace (or remove its ${MANAGED_LABEL} label) before joining`);
    } else if (!placed(name)) {
      undeclared.push(`Workspace ${name}`);
    }
  }
  if (ctx.mode !== 'full') return;
  for (const t of live.workspaceTemplates ?? []) if (t?.metadata?.name !== SYSTEM_WORKSPACE) undeclared.push(`WorkspaceTemplate ${t?.metadata?.name}`);
  const declaredNs = new Set([...(c.federatedNamespaces ?? []), ...c.objects.filter(o => o.kind === 'Namespace' && o.apiVersion === 'v1').map(o => o.name)]);
  for (const ns of live.workspaceNamespaces ?? []) {
    const ws = ns?.metadata?.labels?.[WORKSPACE_LABEL];
    const name = String(ns?.metadata?.name);
    if (ws === SYSTEM_WORKSPACE || declaredNs.has(name) || placed(ws)) continue;
    undeclared.push(`Namespace ${name} (workspace ${ws})`);
  }
  if (undeclared.length === 0) return;
  add(ctx, 'warning', c.name, 'member-not-clean', `${c.name} holds what the program does not declare: ${undeclared.slice(0, 5).join(', ')}${undeclared.length > 5 ? ` and ${undeclared.length - 5} more` : ''}`,
    `move or delete them before joining (unbind projects by removing their ${WORKSPACE_LABEL} label), or declare them in the program`);
}

// ------------------------------------------------------------------------------------------------------------------
// Direct members' kubeconfig

/** Whether a host name is a loopback address. */
function loopback(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1' || host === '0.0.0.0';
}

/** Whether a host name is a private, shared or link-local address. */
function privateAddress(host: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(host);
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
      || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
  }
  return /^(fc|fd|fe[89ab])[0-9a-f]*:/i.test(host);
}

/** The expiry (exp, in ms) of a JWT, or undefined when the token is not one. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims?.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

const DAY_MS = 86_400_000;

function checkDirectKubeconfig(ctx: Ctx, c: FederationCluster): void {
  const k = ctx.kubeconfigs.get(c.name);
  if (!k) return;
  if (k.text === undefined) {
    add(ctx, 'error', c.name, 'direct-kubeconfig-unavailable', `the kubeconfig for the host's Cluster ${c.name} (${k.source}) cannot be made: ${k.problem ?? 'no value'}`,
      `give ${c.name} a kubeconfig source that exists (a context of the kubeconfig: --context ${c.name}=CONTEXT; or Kubeconfig.fromFile)`);
    return;
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromString(k.text);
  } catch {
    add(ctx, 'error', c.name, 'direct-kubeconfig-unavailable', `the kubeconfig for the host's Cluster ${c.name} (${k.source}) cannot be parsed`, `give ${c.name} a valid kubeconfig`);
    return;
  }
  const context = kc.getContextObject(kc.getCurrentContext());
  const cluster = context ? kc.getCluster(context.cluster) : null;
  const user = context ? kc.getUser(context.user) : null;
  if (!cluster || !user) {
    add(ctx, 'error', c.name, 'direct-kubeconfig-unavailable', `the kubeconfig for the host's Cluster ${c.name} (${k.source}) has no current context with a cluster and a user`, `give ${c.name} a complete kubeconfig`);
    return;
  }
  let hostname = '';
  try {
    hostname = new URL(cluster.server).hostname.replace(/^\[|\]$/g, '');
  } catch {
    hostname = '';
  }
  if (loopback(hostname)) {
    add(ctx, 'warning', c.name, 'direct-kubeconfig-server-loopback', `the host's Cluster ${c.name} gets server ${cluster.server} (${k.source}), a loopback address`,
      `give ${c.name} a kubeconfig whose server the host's nodes reach (Connection.direct({ kubeconfig: Kubeconfig.fromFile(...) })), or use Connection.agent()`);
  } else if (privateAddress(hostname)) {
    add(ctx, 'info', c.name, 'direct-kubeconfig-server-private', `the host's Cluster ${c.name} gets server ${cluster.server} (${k.source}), a private address`,
      `make sure ${ctx.host.name}'s nodes route to ${hostname}, or use Connection.agent()`);
  }
  const now = ctx.now.getTime();
  if (user.certData) {
    let cert: crypto.X509Certificate | undefined;
    try {
      cert = new crypto.X509Certificate(Buffer.from(user.certData, 'base64'));
    } catch {
      cert = undefined;
    }
    if (cert) {
      const notAfter = new Date(cert.validTo).getTime();
      const notBefore = new Date(cert.validFrom).getTime();
      if (notAfter <= now || notBefore > now) {
        add(ctx, 'error', c.name, 'direct-kubeconfig-credential-expired', notAfter <= now
          ? `the client certificate of ${c.name}'s kubeconfig (${k.source}) expired on ${new Date(notAfter).toISOString()}`
          : `the client certificate of ${c.name}'s kubeconfig (${k.source}) is valid only from ${new Date(notBefore).toISOString()}`,
        `renew the client certificate of ${c.name}'s kubeconfig and apply again`);
      } else if (notAfter - now < 7 * DAY_MS) {
        add(ctx, 'warning', c.name, 'direct-kubeconfig-credential-expiring', `the client certificate of ${c.name}'s kubeconfig (${k.source}) expires on ${new Date(notAfter).toISOString()}`,
          `renew it and apply again before ${new Date(notAfter).toISOString()}`);
      }
    }
  } else if (user.token) {
    add(ctx, 'warning', c.name, 'direct-kubeconfig-token-only', `${c.name}'s kubeconfig (${k.source}) authenticates with a bearer token only`,
      `give the host a kubeconfig with a client certificate for ${c.name}, or a long-lived token you renew`);
  }
  const exp = user.token ? jwtExpiry(user.token) : undefined;
  if (exp !== undefined && exp <= now) {
    add(ctx, 'error', c.name, 'direct-kubeconfig-credential-expired', `the token of ${c.name}'s kubeconfig (${k.source}) expired on ${new Date(exp).toISOString()}`,
      `give ${c.name}'s kubeconfig a new token and apply again`);
  } else if (exp !== undefined && exp - now < 7 * DAY_MS) {
    add(ctx, 'warning', c.name, 'direct-kubeconfig-credential-expiring', `the token of ${c.name}'s kubeconfig (${k.source}) expires on ${new Date(exp).toISOString()}`,
      `give ${c.name}'s kubeconfig a long-lived credential, or renew the token and apply again before ${new Date(exp).toISOString()}`);
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Tower, capacity, owners

function checkTowerAddress(ctx: Ctx, c: FederationCluster): void {
  const agent = c.objects.find(o => o.kind === 'Deployment' && o.name === 'cluster-agent' && o.namespace === KUBESPHERE_SYSTEM);
  if (!agent || !JSON.stringify(agent.manifest).includes('{{ksfed:proxy-address}}')) return;
  const svc = ctx.live.get(ctx.host.name)?.towerService;
  if (!svc || svc.spec?.type !== 'LoadBalancer') return;
  const ingress = svc.status?.loadBalancer?.ingress?.[0];
  if (ingress?.ip || ingress?.hostname) return;
  add(ctx, 'warning', c.name, 'agent-no-tower-address', `${c.name}'s agent dials tower at the address of Service ${KUBESPHERE_SYSTEM}/tower on ${ctx.host.name}, which has none (LoadBalancer pending), and no proxyPublishAddress is set`,
    `give ${ctx.host.name} a load balancer, or set proxyPublishAddress on the Host (e.g. towerServiceType: NODE_PORT with "http://<node-ip>:<nodePort>")`);
}

/** A Kubernetes quantity (`100m`, `1.5`, `64Mi`, `1e3`) or a number, as a number; undefined when it is neither. */
export function parseQuantity(q: unknown): number | undefined {
  return typeof q === 'number' ? q : typeof q === 'string' ? parseKubeQuantity(q.trim()) : undefined;
}

/** `1.5 CPU`, `384Mi`. */
function show(kind: 'cpu' | 'memory', v: number): string {
  return kind === 'cpu' ? `${Number(v.toFixed(3))} CPU` : v >= 2 ** 30 ? `${Number((v / 2 ** 30).toFixed(2))}Gi` : `${Math.round(v / 2 ** 20)}Mi`;
}

/** Per pod requests of a workload and how many pods it runs (`nodes`: pods of a DaemonSet). */
function podRequests(o: FederationObject, nodes: number): { cpu: number; memory: number; pods: number } {
  const spec = o.manifest?.spec ?? {};
  const containers: any[] = spec.template?.spec?.containers ?? [];
  let cpu = 0;
  let memory = 0;
  for (const x of containers) {
    cpu += parseQuantity(x?.resources?.requests?.cpu) ?? 0;
    memory += parseQuantity(x?.resources?.requests?.memory) ?? 0;
  }
  const pods = o.kind === 'DaemonSet' ? nodes : typeof spec.replicas === 'number' ? spec.replicas : 1;
  return { cpu, memory, pods };
}

function checkNodes(ctx: Ctx, c: FederationCluster, live: LiveCluster | undefined): void {
  if (!live?.nodes || live.nodes.length === 0) return;
  const nodes = live.nodes.filter(n => !n?.spec?.unschedulable
    && (n?.status?.conditions ?? []).some((x: any) => x?.type === 'Ready' && x?.status === 'True'));
  const allocatable = nodes.map(n => ({
    cpu: parseQuantity(n.status?.allocatable?.cpu) ?? 0,
    memory: parseQuantity(n.status?.allocatable?.memory) ?? 0,
  }));
  const workloads = c.objects.filter(o => groupOf(o.apiVersion) === 'apps' && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind));
  const total = { cpu: 0, memory: 0 };
  const unfit: string[] = [];
  for (const o of workloads) {
    const r = podRequests(o, nodes.length);
    total.cpu += r.cpu * r.pods;
    total.memory += r.memory * r.pods;
    if (r.pods > 0 && (r.cpu > 0 || r.memory > 0) && !allocatable.some(a => a.cpu >= r.cpu && a.memory >= r.memory)) {
      unfit.push(`${o.kind} ${o.namespace}/${o.name} (${show('cpu', r.cpu)}, ${show('memory', r.memory)} per pod)`);
    }
  }
  const sum = allocatable.reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
  const short = (['cpu', 'memory'] as const).filter(k => total[k] > sum[k]);
  if (short.length === 0 && unfit.length === 0) return;
  const seen = [
    `the ${nodes.length} Ready node${nodes.length === 1 ? '' : 's'} of ${c.name} have ${show('cpu', sum.cpu)} and ${show('memory', sum.memory)} allocatable`,
    ...(short.length > 0 ? [`the folder's workloads request ${short.map(k => show(k, total[k])).join(' and ')}`] : []),
    ...(unfit.length > 0 ? [`no node fits a pod of ${unfit.join(', ')}`] : []),
  ].join('; ');
  add(ctx, 'error', c.name, 'node-allocatable-insufficient', seen, `add nodes or capacity to ${c.name}, or lower the components' sizes in the program`);
}

function checkComponentOwners(ctx: Ctx, c: FederationCluster, live: LiveCluster): void {
  for (const key of COMPONENT_DEPLOYMENTS) {
    const obj = live.components.get(key);
    if (!obj) continue;
    if (obj.metadata?.labels?.[APPLYSET_PART_OF_LABEL] === KSFED_APPLYSET_ID) continue;
    const helm = obj.metadata?.annotations?.['meta.helm.sh/release-name'];
    add(ctx, 'error', c.name, 'components-two-owners', `Deployment ${key} is already installed${helm ? ` by Helm release ${helm}` : ''}, not by ksfed, and the folder installs it too`,
      `use ComponentOwner.INSTALLER on the Host, or remove the existing ${key.split('/')[1]} first`);
  }
}
