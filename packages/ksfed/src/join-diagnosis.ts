import { KubeApiError, messageOf } from './errors';
import { KubeClient, ObjectRef } from './kube-client';
import { KUBESPHERE_SYSTEM } from './kubesphere-check';
import { conditionOf, rolloutReadiness } from './waits';

/**
 * Why a member's `Cluster` on the host is not Ready (or a member is not usable from the host), as a stable id:
 * - `cluster-missing`: the host has no `Cluster` object for the member;
 * - `join-disabled`: its `spec.joinFederation` is not true, so KubeSphere does not join it;
 * - `kubesphere-missing`: the member has no KubeSphere (no namespace `kubesphere-system`);
 * - `workspace-conflict`: the member holds a KubeFed-managed Workspace that the host's FederatedWorkspace of the same
 *   name does not place on it (KubeSphere refuses such a join: kubesphere/kubesphere#3169);
 * - `joined-elsewhere`: the member holds the join ServiceAccount of another cluster name (`<name>-kubesphere` in
 *   `kube-federation-system`): a host joined it under that name, and did not unjoin it (#6340);
 * - `tower-not-initialized`: an agent member's `Cluster` has no token or endpoints yet: tower on the host has not
 *   taken it up;
 * - `agent-missing`, `agent-wrong-cluster`, `agent-token-mismatch`, `agent-not-available`: the member's
 *   `cluster-agent` Deployment is absent, runs for another `--name`, presents another token than the `Cluster`'s
 *   `spec.connection.token`, or is not available;
 * - `agent-not-connected`: the agent runs, with the right name and token, and still has not connected to tower
 *   (tower's address is not reachable from the member: kubesphere/tower#49, kubesphere/kubesphere#3626);
 * - `kubeconfig-missing`: a direct member's `Cluster` has no kubeconfig;
 * - `kubeconfig-rejected`: the member's API server refuses the kubeconfig's credentials (401, 403, certificate);
 * - `endpoint-unreachable`: the host cannot reach the member's API server (dial errors, timeouts);
 * - `jwt-secret-mismatch`: the member's JWT secret differs from the host's (the member then refuses the tokens of
 *   the host's users: "signature is invalid", kubesphere/kubesphere#2406, #5344);
 * - `join-failed`: KubeSphere reports the join failed for another reason (its condition says which);
 * - `not-reported`: KubeSphere has not reported the join at all (no condition says why).
 */
export type JoinCause =
  | 'cluster-missing' | 'join-disabled' | 'kubesphere-missing' | 'workspace-conflict' | 'joined-elsewhere'
  | 'tower-not-initialized' | 'agent-missing' | 'agent-wrong-cluster' | 'agent-token-mismatch' | 'agent-not-available'
  | 'agent-not-connected' | 'kubeconfig-missing' | 'kubeconfig-rejected' | 'endpoint-unreachable'
  | 'jwt-secret-mismatch' | 'join-failed' | 'not-reported';

/** One cause of a join that does not complete: its id, what was seen (never a secret value), and the fix. */
export interface JoinFinding {
  readonly cause: JoinCause;
  readonly seen: string;
  readonly fix: string;
}

/** What was read of an agent member's `cluster-agent` Deployment. */
export interface AgentFacts {
  /** Its `--name` flag. */
  readonly name?: string;
  readonly available: boolean;
  /** Its rollout state, e.g. `0/1 available, 1/1 updated`. */
  readonly state: string;
  /** Its `--proxy-server` flag (tower's address; not a secret). */
  readonly proxyServer?: string;
  /** Whether the token it presents is the `Cluster`'s `spec.connection.token`; undefined when unknown. */
  readonly tokenMatches?: boolean;
  /** Why its token could not be read (a missing Secret or key), if so. */
  readonly tokenProblem?: string;
}

/** What was read of the member itself (undefined fields: not known, e.g. forbidden). */
export interface MemberFacts {
  /** Set when ksfed could not read the member at all. */
  readonly error?: string;
  /** Whether namespace `kubesphere-system` exists. */
  readonly kubesphere?: boolean;
  /** Whether the member's `kubesphere-system/kubesphere-secret` holds the host's JWT secret. */
  readonly jwtSecretMatches?: boolean;
  /** The `cluster-agent` Deployment (null: there is none). Read for agent members only. */
  readonly agent?: AgentFacts | null;
  /** KubeFed-managed Workspaces the host's FederatedWorkspace of the same name does not place on the member. */
  readonly conflictingWorkspaces?: string[];
  /** Other cluster names the member was joined under (their `<name>-kubesphere` ServiceAccounts). */
  readonly otherJoins?: string[];
}

/** What `diagnoseJoin` goes by: the live `Cluster` on the host and what was read of the member. */
export interface JoinFacts {
  readonly member: string;
  readonly host: string;
  /** How the member joins: the live `Cluster`'s `spec.connection.type`, else what the program declares. */
  readonly connection: 'direct' | 'proxy';
  /** The live `Cluster` object on the host; undefined when it does not exist. */
  readonly cluster?: any;
  readonly memberFacts?: MemberFacts;
}

/** The `Cluster` of a member on the host. */
export function clusterRef(member: string): ObjectRef {
  return { apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', name: member };
}

const JWT_SECRET: ObjectRef = { apiVersion: 'v1', kind: 'Secret', namespace: KUBESPHERE_SYSTEM, name: 'kubesphere-secret' };
const AGENT: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: KUBESPHERE_SYSTEM, name: 'cluster-agent' };
const KUBEFED_NAMESPACE = 'kube-federation-system';

/** Whether a `Cluster` counts as joined: Ready, and AgentAvailable for an agent member. */
export function clusterJoined(cluster: any): boolean {
  if (!cluster) return false;
  const ready = conditionOf(cluster, 'Ready')?.status === 'True';
  return ready && (cluster.spec?.connection?.type !== 'proxy' || conditionOf(cluster, 'AgentAvailable')?.status === 'True');
}

/**
 * Reads what explains a member's join, changing nothing: the member's `Cluster` on the host (unless given), the
 * host's JWT secret and FederatedWorkspaces, and on the member (unless no client is given: unreachable)
 * `kubesphere-system`, its JWT secret, its `cluster-agent` (agent members), its KubeFed-managed Workspaces and the
 * join ServiceAccounts in `kube-federation-system`. Secret values are compared here and never kept. A read that
 * fails leaves its fact unknown.
 */
export async function readJoinFacts(options: {
  readonly member: string;
  readonly host: string;
  readonly hostClient: KubeClient;
  /** The member's client; undefined when ksfed cannot reach it. */
  readonly memberClient?: KubeClient;
  /** The declared connection, `direct` or `proxy` (used when the live `Cluster` says none). */
  readonly connection?: string;
  /** The live `Cluster` when already read (null: read, and absent). */
  readonly cluster?: any | null;
  /** Why ksfed cannot reach the member, when it cannot. */
  readonly memberError?: string;
}): Promise<JoinFacts> {
  const { member, host, hostClient, memberClient } = options;
  const cluster = options.cluster === undefined ? await orUndefined(hostClient.get(clusterRef(member))) : options.cluster ?? undefined;
  const connection = cluster?.spec?.connection?.type === 'proxy' || (!cluster?.spec?.connection?.type && options.connection === 'proxy') ? 'proxy' : 'direct';
  const base = { member, host, connection, cluster } as const;
  if (!memberClient || options.memberError) return { ...base, memberFacts: { error: options.memberError ?? 'not reachable' } };

  // The member's namespace first: when that read fails for want of a connection, the member is unreachable.
  let namespace: any;
  try {
    namespace = await memberClient.get({ apiVersion: 'v1', kind: 'Namespace', name: KUBESPHERE_SYSTEM });
  } catch (e) {
    if (e instanceof KubeApiError && e.code === 0) return { ...base, memberFacts: { error: e.message } };
    namespace = null;
  }
  const [hostSecret, memberSecret, agent, workspaces, federatedWorkspaces, accounts] = await Promise.all([
    orUndefined(hostClient.get(JWT_SECRET)),
    namespace ? orUndefined(memberClient.get(JWT_SECRET)) : undefined,
    connection === 'proxy' && namespace ? readAgent(memberClient, cluster) : undefined,
    orUndefined(memberClient.list('tenant.kubesphere.io/v1alpha1', 'Workspace', { labelSelector: 'kubefed.io/managed=true' })),
    orUndefined(hostClient.list('types.kubefed.io/v1beta1', 'FederatedWorkspace')),
    orUndefined(memberClient.list('v1', 'ServiceAccount', { namespace: KUBEFED_NAMESPACE })),
  ]);
  const hostJwt = secretValue(hostSecret);
  const memberJwt = secretValue(memberSecret);
  const conflicting = workspaces && federatedWorkspaces
    ? workspaces.map(w => String(w.metadata?.name)).filter(name => {
      const fw = federatedWorkspaces.find(f => f.metadata?.name === name);
      return fw !== undefined && !placesOn(fw, member);
    }).sort()
    : undefined;
  const otherJoins = accounts?.map(a => String(a.metadata?.name ?? ''))
    .filter(n => n.endsWith('-kubesphere') && n !== `${member}-kubesphere`)
    .map(n => n.slice(0, -'-kubesphere'.length)).sort();
  const memberFacts: MemberFacts = {
    kubesphere: namespace === null ? undefined : namespace !== undefined,
    ...(hostJwt !== undefined && memberJwt !== undefined ? { jwtSecretMatches: hostJwt === memberJwt } : {}),
    ...(agent !== undefined ? { agent } : {}),
    ...(conflicting ? { conflictingWorkspaces: conflicting } : {}),
    ...(otherJoins ? { otherJoins } : {}),
  };
  return { ...base, memberFacts };
}

/** Whether a FederatedWorkspace's placement includes a cluster (a cluster list wins; else a selector places everywhere it matches). */
function placesOn(fw: any, cluster: string): boolean {
  const placement = fw?.spec?.placement ?? {};
  if (Array.isArray(placement.clusters)) return placement.clusters.some((c: any) => c?.name === cluster);
  // A clusterSelector is matched against KubeFedCluster labels, which this check does not read: assume it places.
  return placement.clusterSelector !== undefined;
}

/** The member's `cluster-agent`: its flags, availability, and whether its token is the `Cluster`'s. */
async function readAgent(client: KubeClient, cluster: any): Promise<AgentFacts | null | undefined> {
  let deploy: any;
  try {
    deploy = await client.get(AGENT);
  } catch {
    return undefined;
  }
  if (!deploy) return null;
  const rollout = rolloutReadiness({ ...deploy, kind: 'Deployment' });
  for (const container of deploy.spec?.template?.spec?.containers ?? []) {
    const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])].map(String);
    const name = flagOf(argv, 'name');
    if (name === undefined) continue;
    const facts = { name, available: rollout.ready, state: rollout.message, proxyServer: flagOf(argv, 'proxy-server') };
    const raw = flagOf(argv, 'token');
    if (raw === undefined) return { ...facts, tokenMatches: false, tokenProblem: 'it has no --token flag' };
    const token = await expandEnv(client, raw, container);
    if (token === undefined) return facts;
    if (typeof token !== 'string') return { ...facts, tokenMatches: false, tokenProblem: token.problem };
    const wanted = cluster?.spec?.connection?.token;
    return { ...facts, ...(typeof wanted === 'string' && wanted !== '' ? { tokenMatches: token === wanted } : {}) };
  }
  return { available: rollout.ready, state: rollout.message, tokenMatches: false, tokenProblem: 'no container has a --name flag' };
}

function flagOf(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
    if (argv[i] === `--${name}` && i + 1 < argv.length) return argv[i + 1];
  }
  return undefined;
}

/**
 * `$(VAR)` expanded as the kubelet does, from the container's env (value, secretKeyRef, configMapKeyRef in
 * kubesphere-system); `problem` when a referenced key does not exist, undefined when it cannot be read.
 */
async function expandEnv(client: KubeClient, text: string, container: any): Promise<string | { problem: string } | undefined> {
  let out = text;
  for (const [whole, name] of [...text.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)]) {
    const env = (container.env ?? []).find((e: any) => e?.name === name);
    if (!env) continue;
    let value: string | undefined;
    if (typeof env.value === 'string') {
      value = env.value;
    } else {
      const ref = env.valueFrom?.secretKeyRef ?? env.valueFrom?.configMapKeyRef;
      if (!ref) continue;
      const secret = env.valueFrom?.secretKeyRef !== undefined;
      let obj: any;
      try {
        obj = await client.get({ apiVersion: 'v1', kind: secret ? 'Secret' : 'ConfigMap', namespace: KUBESPHERE_SYSTEM, name: ref.name });
      } catch {
        return undefined;
      }
      const data = obj?.data?.[ref.key];
      if (typeof data !== 'string') return { problem: `${secret ? 'Secret' : 'ConfigMap'} ${KUBESPHERE_SYSTEM}/${ref.name} (key ${ref.key}), which its ${name} comes from, does not exist` };
      value = secret ? Buffer.from(data, 'base64').toString('utf8') : data;
    }
    out = out.split(whole).join(value);
  }
  return out;
}

function secretValue(secret: any): string | undefined {
  const data = secret?.data?.secret;
  return typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : undefined;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

/** A condition as `Type=Status: reason: message` (what KubeSphere wrote). */
function describeCondition(type: string, c: { status?: string; reason?: string; message?: string }): string {
  return [`${type}=${c.status ?? 'Unknown'}`, c.reason, c.message].filter(x => x).join(': ');
}

const REJECTED = /unauthori[sz]ed|forbidden|\b40[13]\b|x509|certificate|credential|invalid bearer token|token has expired/i;
const UNREACHABLE = /dial tcp|connection refused|no such host|i\/o timeout|deadline exceeded|no route to host|network is unreachable|connection reset|EOF|cannot reach|timed? ?out/i;

/** The endpoint the host dials for a direct member: `kubernetesAPIEndpoint`, else the kubeconfig's server. */
function endpointOf(cluster: any): string | undefined {
  const endpoint = cluster?.spec?.connection?.kubernetesAPIEndpoint;
  if (typeof endpoint === 'string' && endpoint) return endpoint;
  const kubeconfig = cluster?.spec?.connection?.kubeconfig;
  if (typeof kubeconfig !== 'string') return undefined;
  const text = Buffer.from(kubeconfig, 'base64').toString('utf8');
  return /server"?\s*:\s*"?([^\s"',}]+)/.exec(text)?.[1];
}

/**
 * Names why a member's join does not complete, from its `Cluster`'s conditions and the member's live state: the
 * most specific causes first, every one with what was seen and the fix. A Cluster that is joined gets only what
 * is seen on the member (no KubeSphere, another host's join, a JWT secret that differs). Nothing in a finding is a
 * secret value.
 */
export function diagnoseJoin(facts: JoinFacts): JoinFinding[] {
  const { member, host, cluster, connection } = facts;
  const m = facts.memberFacts ?? {};
  const out: JoinFinding[] = [];
  const add = (cause: JoinCause, seen: string, fix: string) => {
    const i = out.findIndex(f => f.cause === cause);
    if (i < 0) out.push({ cause, seen, fix });
    else out[i] = { ...out[i], seen: `${out[i].seen}; ${seen}` };
  };
  const reapply = `ksfed apply <dist> --only ${host},${member}`;

  if (m.kubesphere === false) {
    add('kubesphere-missing', `${member} has no namespace ${KUBESPHERE_SYSTEM}: KubeSphere is not installed there`,
      `install KubeSphere v3.4 on ${member} with ks-installer (multicluster.clusterRole: member), then ${reapply}`);
  }
  if (m.otherJoins && m.otherJoins.length > 0) {
    const names = m.otherJoins.join(', ');
    add('joined-elsewhere', `${member} holds ServiceAccount${m.otherJoins.length > 1 ? 's' : ''} ${m.otherJoins.map(n => `${KUBEFED_NAMESPACE}/${n}-kubesphere`).join(', ')}: a KubeSphere host joined it as ${names} and has not unjoined it`,
      `remove ${names} from that host first (delete its Cluster there, which unjoins it), or re-import ${member} under the name it had (${m.otherJoins[0]}): KubeSphere requires the same name`);
  }
  // (a JWT secret that differs does not keep KubeSphere from reporting Ready: it goes last, with the causes that do)
  const jwt = (): JoinFinding[] => {
    if (m.jwtSecretMatches === false) {
      add('jwt-secret-mismatch', `the JWT secret of ${member} (Secret ${KUBESPHERE_SYSTEM}/kubesphere-secret) differs from ${host}'s, so ${member} refuses the tokens of ${host}'s users ("signature is invalid")`,
        `${member}'s ClusterConfiguration ks-installer must carry ${host}'s jwtSecret (ksfed writes it there) and ks-installer must run on ${member} to apply it: check Deployment ${KUBESPHERE_SYSTEM}/ks-installer there, then ${reapply}`);
    }
    return out;
  };
  if (clusterJoined(cluster)) return jwt();

  // (KubeSphere's join pre-check: only what keeps a Cluster from joining)
  if (m.conflictingWorkspaces && m.conflictingWorkspaces.length > 0) {
    const list = m.conflictingWorkspaces.join(', ');
    add('workspace-conflict', `${member} holds KubeFed-managed Workspace${m.conflictingWorkspaces.length > 1 ? 's' : ''} ${list}, which ${host}'s FederatedWorkspace of the same name does not place on ${member}: KubeSphere refuses to join it (KubeFed would delete ${m.conflictingWorkspaces.length > 1 ? 'them' : 'it'} and the projects in ${m.conflictingWorkspaces.length > 1 ? 'them' : 'it'})`,
      `place ${list} on ${member} in the program (the Workspace's clusters), or, if ${m.conflictingWorkspaces.length > 1 ? 'they are' : 'it is'} left from another host, move the projects out (ksfed move-member) and delete ${m.conflictingWorkspaces.length > 1 ? 'those Workspaces' : 'that Workspace'} on ${member}`);
  }

  if (!cluster) {
    add('cluster-missing', `the host ${host} has no Cluster ${member}`,
      `apply the host's folder, which declares it: ksfed apply <dist> --only ${host}`);
    return jwt();
  }
  if (cluster.spec?.joinFederation !== true) {
    add('join-disabled', `Cluster ${member} on ${host} has spec.joinFederation ${JSON.stringify(cluster.spec?.joinFederation ?? null)}, so KubeSphere does not join it`,
      `set joinFederation: true (the library's Member does): ${reapply} --force-conflicts takes the field back from whoever changed it`);
  }
  const federated = conditionOf(cluster, 'Federated');
  const ready = conditionOf(cluster, 'Ready');
  const agentCondition = conditionOf(cluster, 'AgentAvailable');
  const failures = ([['Federated', federated], ['Ready', ready], ['AgentAvailable', agentCondition]] as const)
    .filter(([, c]) => c?.status === 'False')
    .map(([type, c]) => describeCondition(type, c!));

  if (connection === 'proxy') {
    const conn = cluster.spec?.connection ?? {};
    const agent = m.agent;
    if (!conn.token || !conn.kubernetesAPIEndpoint) {
      add('tower-not-initialized', `Cluster ${member} on ${host} has no ${!conn.token ? 'spec.connection.token' : 'spec.connection.kubernetesAPIEndpoint'} yet: tower on ${host} has not taken it up`,
        `check that tower runs on ${host} (Deployment ${KUBESPHERE_SYSTEM}/tower available, ClusterConfiguration ks-installer with multicluster.clusterRole: host and status.multicluster.status: enabled)`);
    } else if (agent === null) {
      add('agent-missing', `${member} has no Deployment ${KUBESPHERE_SYSTEM}/cluster-agent, so nothing connects it to tower`,
        `apply ${member}'s folder, which holds the agent: ksfed apply <dist> --only ${member}`);
    } else if (agent) {
      if (agent.name !== undefined && agent.name !== member) {
        add('agent-wrong-cluster', `the cluster-agent on ${member} runs with --name=${agent.name}, not ${member}, so tower does not take it for Cluster ${member}`,
          `the agent's --name must be the Cluster's name: ${reapply} --force-conflicts`);
      } else if (agent.tokenMatches === false) {
        add('agent-token-mismatch', `the token the cluster-agent on ${member} presents ${agent.tokenProblem ? `cannot be read: ${agent.tokenProblem}` : `is not spec.connection.token of Cluster ${member} on ${host}`}, so tower refuses it ("Unauthorized agent")`,
          `${reapply} (ksfed renders the Cluster's token into ${member}'s Secret ${KUBESPHERE_SYSTEM}/cluster-agent-token; add --force-conflicts if another manager changed either)`);
      } else if (!agent.available) {
        add('agent-not-available', `Deployment ${KUBESPHERE_SYSTEM}/cluster-agent on ${member} is not available (${agent.state})`,
          `look at its pods: kubectl --context ${member} -n ${KUBESPHERE_SYSTEM} describe pods -l app=agent (image kubesphere/tower pulled? ServiceAccount kubesphere present?)`);
      } else if (agentCondition?.status !== 'True') {
        add('agent-not-connected', `the cluster-agent on ${member} runs (available, --name=${member}, the Cluster's token) but has not connected to tower${agent.proxyServer ? ` at ${agent.proxyServer}` : ''}${agentCondition ? ` (${describeCondition('AgentAvailable', agentCondition)})` : ' (no AgentAvailable condition)'}`,
          `make ${agent.proxyServer ?? 'tower\'s address'} reachable from ${member}'s pods (firewall, egress proxy, an address routable from there), or set proxyPublishAddress on the Host to an address ${member} can reach`);
      }
    } else if (agentCondition?.status === 'False' && /token/i.test(`${agentCondition.reason ?? ''} ${agentCondition.message ?? ''}`)) {
      add('agent-token-mismatch', describeCondition('AgentAvailable', agentCondition),
        `${reapply} (ksfed renders the Cluster's token into ${member}'s Secret ${KUBESPHERE_SYSTEM}/cluster-agent-token)`);
    }
  } else if (!cluster.spec?.connection?.kubeconfig) {
    add('kubeconfig-missing', `Cluster ${member} on ${host} has no spec.connection.kubeconfig, so KubeSphere cannot reach ${member}`,
      `give the member a kubeconfig (Connection.direct() takes the context named like it, or --context ${member}=CONTEXT), then ${reapply}`);
  }

  for (const failure of failures) {
    if (REJECTED.test(failure)) {
      add('kubeconfig-rejected', failure,
        `the API server of ${member} refuses the credentials of the kubeconfig in Cluster ${member} (an expired token or certificate, a user without rights): refresh ${member}'s kubeconfig context, then ${reapply}; prefer a ServiceAccount token or a certificate that does not expire soon`);
    } else if (UNREACHABLE.test(failure)) {
      const endpoint = endpointOf(cluster);
      add('endpoint-unreachable', `${failure}${endpoint ? ` (the host dials ${endpoint})` : ''}`,
        `${host}'s pods must reach ${endpoint ?? `${member}'s API server`}: use an address routable from ${host} in ${member}'s kubeconfig context (not 127.0.0.1, localhost or an address only your workstation reaches) or open the firewall, then ${reapply}; or join ${member} through the agent (Connection.agent()), which dials out from ${member} to tower`);
    } else if (!out.some(f => f.cause.startsWith('agent-') || f.cause === 'workspace-conflict' || f.cause === 'joined-elsewhere')) {
      add('join-failed', failure,
        `read KubeSphere's reason on ${host}: kubectl --context ${host} -n ${KUBESPHERE_SYSTEM} logs deploy/ks-controller-manager | grep ${member}`);
    }
  }
  withFallback(out, facts);
  return jwt();
}

/** When nothing explains a join that is not complete: say so, with what was seen and where to look. */
function withFallback(out: JoinFinding[], facts: JoinFacts): void {
  const { member, host, cluster } = facts;
  if (out.length > 0) return;
  const conditions: any[] = Array.isArray(cluster?.status?.conditions) ? cluster.status.conditions : [];
  const seen = conditions.length === 0 ? 'no conditions' : conditions.map(c => `${c.type}=${c.status}`).join(' ');
  const unreachable = facts.memberFacts?.error ? `; ksfed cannot read ${member} either (${facts.memberFacts.error})` : '';
  out.push({
    cause: 'not-reported',
    seen: `Cluster ${member} on ${host} is not Ready and no condition says why (${seen})${unreachable}`,
    fix: `KubeSphere's cluster controller on ${host} has not reported: check ks-controller-manager there (kubectl --context ${host} -n ${KUBESPHERE_SYSTEM} logs deploy/ks-controller-manager; multicluster must be enabled: ClusterConfiguration ks-installer with multicluster.clusterRole: host), or wait longer (--wait-timeout)`,
  });
}

/** Findings as text: `cause: seen. Fix: fix`, joined with `; `. */
export function formatFindings(findings: readonly JoinFinding[]): string {
  return findings.map(f => `${f.cause}: ${f.seen}. Fix: ${f.fix}`).join('; ');
}

/** Reads and diagnoses in one call (see readJoinFacts, diagnoseJoin); a failure to read says so as a finding. */
export async function explainJoin(options: Parameters<typeof readJoinFacts>[0]): Promise<JoinFinding[]> {
  try {
    return diagnoseJoin(await readJoinFacts(options));
  } catch (e) {
    return [{
      cause: 'not-reported',
      seen: `the join of ${options.member} could not be examined: ${messageOf(e)}`,
      fix: `check that ${options.host} is reachable and run ksfed status <dist>`,
    }];
  }
}
