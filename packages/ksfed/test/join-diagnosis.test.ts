import * as fs from 'fs';
import * as path from 'path';
import { Connection, Host, Kubeconfig, Member } from 'cdk8s-kubesphere-federation';
import { federatedCrds } from 'cdk8s-kubesphere-federation/lib/crds/federated-types';
import { FAKE_JWT_SECRET, FAST, Fleet, startFleet, synth, tmpdir } from './fixtures';
import { apply } from '../src/apply';
import { diagnoseJoin, formatFindings, JoinFacts, JoinFinding } from '../src/join-diagnosis';
import { formatStatus, status } from '../src/status';

jest.setTimeout(60_000);

const opts = (fleet: Fleet, extra: object = {}) => ({ kubeconfig: fleet.kubeconfig, ...FAST, ...extra });
const causes = (findings: readonly JoinFinding[] | undefined) => (findings ?? []).map(f => f.cause);
const cond = (type: string, value: string, extra: object = {}) => ({ type, status: value, ...extra });
const kubeconfigB64 = (server: string) => Buffer.from(`apiVersion: v1\nclusters:\n- cluster:\n    server: ${server}\n  name: edge-1\n`).toString('base64');

/** A member's Cluster on the host, as KubeSphere leaves it. */
function clusterObject(type: 'direct' | 'proxy', conditions: object[] = [], connection: object = {}): any {
  const defaults = type === 'proxy'
    ? { token: 't'.repeat(64), kubernetesAPIEndpoint: 'https://10.96.0.20:6443' }
    : { kubeconfig: kubeconfigB64('https://edge-1.example.com:6443') };
  return { metadata: { name: 'edge-1' }, spec: { joinFederation: true, connection: { type, ...defaults, ...connection } }, status: { conditions } };
}

function facts(cluster: any, memberFacts: JoinFacts['memberFacts'] = { kubesphere: true, jwtSecretMatches: true }): JoinFacts {
  return { member: 'edge-1', host: 'host', connection: cluster?.spec?.connection?.type ?? 'direct', cluster, memberFacts };
}

const AGENT_OK = { name: 'edge-1', available: true, state: '1/1 available', proxyServer: 'http://192.0.2.10:8080', tokenMatches: true };

describe('diagnoseJoin: each cause from the Cluster\'s conditions and the member\'s state', () => {
  test('a joined Cluster has no cause, unless the member\'s JWT secret differs', () => {
    const ready = clusterObject('direct', [cond('Federated', 'True'), cond('Ready', 'True')]);
    expect(diagnoseJoin(facts(ready))).toEqual([]);
    // (a Workspace conflict is about joining: a joined Cluster does not have it)
    expect(diagnoseJoin(facts(ready, { kubesphere: true, jwtSecretMatches: true, conflictingWorkspaces: ['shop'] }))).toEqual([]);
    const jwt = diagnoseJoin(facts(ready, { kubesphere: true, jwtSecretMatches: false }));
    expect(causes(jwt)).toEqual(['jwt-secret-mismatch']);
    expect(jwt[0].seen).toBe('the JWT secret of edge-1 (Secret kubesphere-system/kubesphere-secret) differs from host\'s, so edge-1 refuses the tokens of host\'s users ("signature is invalid")');
    expect(jwt[0].fix).toMatch(/^edge-1's ClusterConfiguration ks-installer must carry host's jwtSecret .* ksfed apply <dist> --only host,edge-1$/);
  });

  test('the Cluster is missing, or does not ask to join', () => {
    expect(diagnoseJoin(facts(undefined))).toEqual([{ cause: 'cluster-missing', seen: 'the host host has no Cluster edge-1', fix: 'apply the host\'s folder, which declares it: ksfed apply <dist> --only host' }]);
    const off = clusterObject('direct');
    off.spec.joinFederation = false;
    expect(diagnoseJoin(facts(off))[0]).toMatchObject({ cause: 'join-disabled', seen: 'Cluster edge-1 on host has spec.joinFederation false, so KubeSphere does not join it' });
  });

  test('direct: no kubeconfig; credentials refused (Ready or Federated False); endpoint unreachable, naming what the host dials', () => {
    expect(causes(diagnoseJoin(facts(clusterObject('direct', [], { kubeconfig: '' }))))).toEqual(['kubeconfig-missing']);
    const refused = diagnoseJoin(facts(clusterObject('direct', [
      cond('Federated', 'False', { reason: 'Unauthorized', message: 'Cluster can not join federation control plane' }),
      cond('Ready', 'False', { reason: 'NotReady', message: 'Unauthorized: the kubeconfig\'s credentials are not accepted' }),
    ])));
    // (two conditions with the same cause are one finding)
    expect(causes(refused)).toEqual(['kubeconfig-rejected']);
    expect(refused[0].seen).toBe('Federated=False: Unauthorized: Cluster can not join federation control plane; Ready=False: NotReady: Unauthorized: the kubeconfig\'s credentials are not accepted');
    expect(causes(diagnoseJoin(facts(clusterObject('direct', [cond('Federated', 'False', { reason: 'x509: certificate has expired or is not yet valid' })]))))).toEqual(['kubeconfig-rejected']);
    const unreachable = diagnoseJoin(facts(clusterObject('direct', [cond('Federated', 'False', { reason: 'dial tcp 10.0.0.5:6443: connect: connection refused' })])));
    expect(unreachable).toEqual([{
      cause: 'endpoint-unreachable',
      seen: 'Federated=False: dial tcp 10.0.0.5:6443: connect: connection refused (the host dials https://edge-1.example.com:6443)',
      fix: expect.stringMatching(/^host's pods must reach https:\/\/edge-1\.example\.com:6443: use an address routable from host .* or join edge-1 through the agent \(Connection\.agent\(\)\)/),
    }]);
    const other = diagnoseJoin(facts(clusterObject('direct', [cond('Federated', 'False', { reason: 'the server rejected our request' })])));
    expect(other).toEqual([{ cause: 'join-failed', seen: 'Federated=False: the server rejected our request', fix: 'read KubeSphere\'s reason on host: kubectl --context host -n kubesphere-system logs deploy/ks-controller-manager | grep edge-1' }]);
  });

  test('agent members: tower not there, no agent, wrong name, wrong or unreadable token, not available, not connected', () => {
    const proxy = (connection: object = {}, conditions: object[] = []) => clusterObject('proxy', conditions, connection);
    const withAgent = (agent: object | null) => ({ kubesphere: true, jwtSecretMatches: true, agent: agent as any });
    expect(causes(diagnoseJoin(facts(proxy({ token: '' }), withAgent(AGENT_OK))))).toEqual(['tower-not-initialized']);
    expect(causes(diagnoseJoin(facts(proxy(), withAgent(null))))).toEqual(['agent-missing']);
    expect(diagnoseJoin(facts(proxy(), withAgent({ ...AGENT_OK, name: 'edge-9' })))[0].seen).toBe('the cluster-agent on edge-1 runs with --name=edge-9, not edge-1, so tower does not take it for Cluster edge-1');
    expect(diagnoseJoin(facts(proxy(), withAgent({ ...AGENT_OK, tokenMatches: false })))[0]).toMatchObject({
      cause: 'agent-token-mismatch',
      seen: 'the token the cluster-agent on edge-1 presents is not spec.connection.token of Cluster edge-1 on host, so tower refuses it ("Unauthorized agent")',
    });
    expect(diagnoseJoin(facts(proxy(), withAgent({ ...AGENT_OK, tokenMatches: false, tokenProblem: 'Secret kubesphere-system/cluster-agent-token (key token), which its KS_AGENT_TOKEN comes from, does not exist' })))[0].seen)
      .toBe('the token the cluster-agent on edge-1 presents cannot be read: Secret kubesphere-system/cluster-agent-token (key token), which its KS_AGENT_TOKEN comes from, does not exist, so tower refuses it ("Unauthorized agent")');
    expect(diagnoseJoin(facts(proxy(), withAgent({ ...AGENT_OK, available: false, state: '0/1 available, 1/1 updated' })))[0]).toMatchObject({
      cause: 'agent-not-available', seen: 'Deployment kubesphere-system/cluster-agent on edge-1 is not available (0/1 available, 1/1 updated)',
    });
    const notConnected = diagnoseJoin(facts(proxy({}, [cond('AgentAvailable', 'False', { message: 'Agent has not connected to proxy.' })]), withAgent(AGENT_OK)));
    // (the AgentAvailable=False that says so is not a second cause)
    expect(notConnected).toEqual([{
      cause: 'agent-not-connected',
      seen: 'the cluster-agent on edge-1 runs (available, --name=edge-1, the Cluster\'s token) but has not connected to tower at http://192.0.2.10:8080 (AgentAvailable=False: Agent has not connected to proxy.)',
      fix: 'make http://192.0.2.10:8080 reachable from edge-1\'s pods (firewall, egress proxy, an address routable from there), or set proxyPublishAddress on the Host to an address edge-1 can reach',
    }]);
    // the member cannot be read: the Cluster's own word on a refused token
    const unknown = diagnoseJoin(facts(proxy({}, [cond('AgentAvailable', 'False', { reason: 'TokenMismatch', message: 'agent presented a token that does not match' })]), { error: 'connect ECONNREFUSED' }));
    expect(causes(unknown)).toEqual(['agent-token-mismatch']);
  });

  test('the member: no KubeSphere, a Workspace KubeSphere would refuse to join over, joined under another name', () => {
    const stalled = clusterObject('direct');
    expect(causes(diagnoseJoin(facts(stalled, { kubesphere: false })))).toEqual(['kubesphere-missing']);
    const conflict = diagnoseJoin(facts(stalled, { kubesphere: true, conflictingWorkspaces: ['shop'] }));
    expect(conflict[0]).toEqual({
      cause: 'workspace-conflict',
      seen: 'edge-1 holds KubeFed-managed Workspace shop, which host\'s FederatedWorkspace of the same name does not place on edge-1: KubeSphere refuses to join it (KubeFed would delete it and the projects in it)',
      fix: 'place shop on edge-1 in the program (the Workspace\'s clusters), or, if it is left from another host, move the projects out (ksfed move-member) and delete that Workspace on edge-1',
    });
    expect(diagnoseJoin(facts(stalled, { kubesphere: true, otherJoins: ['prod-1'] }))[0]).toEqual({
      cause: 'joined-elsewhere',
      seen: 'edge-1 holds ServiceAccount kube-federation-system/prod-1-kubesphere: a KubeSphere host joined it as prod-1 and has not unjoined it',
      fix: 'remove prod-1 from that host first (delete its Cluster there, which unjoins it), or re-import edge-1 under the name it had (prod-1): KubeSphere requires the same name',
    });
  });

  test('nothing says why: not-reported, with the conditions seen and where to look; the JWT secret still goes last', () => {
    const found = diagnoseJoin(facts(clusterObject('direct', [cond('Federated', 'True')]), { kubesphere: true, jwtSecretMatches: false }));
    expect(causes(found)).toEqual(['not-reported', 'jwt-secret-mismatch']);
    expect(found[0].seen).toBe('Cluster edge-1 on host is not Ready and no condition says why (Federated=True)');
    expect(found[0].fix).toMatch(/^KubeSphere's cluster controller on host has not reported: check ks-controller-manager there/);
    expect(formatFindings(found)).toMatch(/^not-reported: Cluster edge-1 on host is not Ready .*\. Fix: KubeSphere's .*; jwt-secret-mismatch: the JWT secret of edge-1 .*\. Fix: edge-1's ClusterConfiguration/);
  });
});

describe('on the sandbox: a join that stalls says why, in the apply report (text and JSON) and in ksfed status', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
  });
  const member = (report: { clusters: any[] }, name: string) => report.clusters.find(c => c.name === name)!;

  test('the host cannot reach a direct member\'s API server: endpoint-unreachable; a join ServiceAccount of another name: joined-elsewhere', async () => {
    // GIVEN edge-1's API server is out of the host's reach, and a host once joined edge-1 as "prod-1"
    fleet = await startFleet({ sandbox: { unreachableFromHost: ['edge-1'] } });
    const edge = fleet.sandbox.cluster('edge-1');
    edge.api.create(edge.api.typeOf('v1', 'Namespace'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-federation-system' } }, { fieldManager: 'kubesphere' });
    edge.api.create(edge.api.typeOf('v1', 'ServiceAccount'), 'kube-federation-system', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'prod-1-kubesphere', namespace: 'kube-federation-system' } }, { fieldManager: 'kubesphere' });
    // WHEN (past the preflight, which would refuse this member before any write: the join stall is what is tested)
    const report = await apply(synth(), { ...opts(fleet, { waitTimeoutMs: 400 }), skipPreflight: true });
    // THEN
    const r = member(report, 'edge-1');
    expect(r.status).toBe('timed-out');
    expect(causes(r.join)).toEqual(['joined-elsewhere', 'endpoint-unreachable']);
    expect(r.error).toMatch(/^not joined: Cluster edge-1 on host: timed out after 0\.4s: waiting for condition Ready \(Federated=False: Get .*: dial tcp 127\.0\.0\.1:\d+: i\/o timeout: Cluster can not join federation control plane\)\. Causes: joined-elsewhere: edge-1 holds ServiceAccount kube-federation-system\/prod-1-kubesphere: .*; endpoint-unreachable: Federated=False: .* \(the host dials http:\/\/127\.0\.0\.1:\d+\)\. Fix: host's pods must reach http:\/\/127\.0\.0\.1:\d+: /);
    expect(JSON.parse(JSON.stringify(report)).clusters[1].join[1]).toMatchObject({ cause: 'endpoint-unreachable', fix: expect.stringMatching(/^host's pods must reach/) });
    expect(member(report, 'branch-7').status).toBe('succeeded');
  });

  test('an agent that cannot reach tower: agent-not-connected, naming tower\'s address (by its placeholder: ksfed prints no value it resolved)', async () => {
    fleet = await startFleet({ sandbox: { towerUnreachableFrom: ['branch-7'] } });
    const report = await apply(synth(), opts(fleet, { waitTimeoutMs: 400 }));
    const r = member(report, 'branch-7');
    expect(r.status).toBe('timed-out');
    expect(causes(r.join)).toEqual(['agent-not-connected']);
    expect(r.error).toMatch(/^not joined: Cluster branch-7 on host: timed out after 0\.4s: waiting for conditions AgentAvailable, Ready\. Cause: agent-not-connected: the cluster-agent on branch-7 runs \(available, --name=branch-7, the Cluster's token\) but has not connected to tower at \{\{ksfed:proxy-address\}\} \(no AgentAvailable condition\)\. Fix: make \{\{ksfed:proxy-address\}\} reachable from branch-7's pods/);
    expect(member(report, 'edge-1').status).toBe('succeeded');
  });

  test('a kubeconfig the member refuses: kubeconfig-rejected, its token never shown', async () => {
    fleet = await startFleet();
    const file = path.join(tmpdir(), 'edge-1.kubeconfig');
    fs.writeFileSync(file, fs.readFileSync(fleet.kubeconfig, 'utf8').replace(fleet.sandbox.cluster('edge-1').token, 'f'.repeat(48)).replace('current-context: host', 'current-context: edge-1'));
    const dist = synth(app => {
      const host = new Host(app, 'host', { name: 'host' });
      new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct({ kubeconfig: Kubeconfig.fromFile(file) }) });
    });
    const report = await apply(dist, opts(fleet, { waitTimeoutMs: 400 }));
    const r = member(report, 'edge-1');
    expect(causes(r.join)).toEqual(['kubeconfig-rejected']);
    expect(r.error).toMatch(/Cause: kubeconfig-rejected: Ready=False: NotReady: Unauthorized: .*\. Fix: the API server of edge-1 refuses the credentials of the kubeconfig in Cluster edge-1/);
    expect(JSON.stringify(report)).not.toContain('f'.repeat(48));
  });

  test('a Workspace left on the member that the host places elsewhere: workspace-conflict', async () => {
    // GIVEN edge-1 holds Workspace "shop", once propagated by KubeFed, and the host's FederatedWorkspace "shop" places it on branch-7 only
    fleet = await startFleet();
    const host = fleet.sandbox.cluster('host');
    host.crds.install(federatedCrds().find(c => c.spec.names.kind === 'FederatedWorkspace'), 'ksfed');
    host.api.create(host.api.typeOf('types.kubefed.io/v1beta1', 'FederatedWorkspace'), undefined, {
      apiVersion: 'types.kubefed.io/v1beta1', kind: 'FederatedWorkspace', metadata: { name: 'shop' }, spec: { template: { spec: {} }, placement: { clusters: [{ name: 'branch-7' }] } },
    }, { fieldManager: 'ks-controller-manager' });
    const edge = fleet.sandbox.cluster('edge-1');
    edge.api.create(edge.api.typeOf('tenant.kubesphere.io/v1alpha1', 'Workspace'), undefined,
      { apiVersion: 'tenant.kubesphere.io/v1alpha1', kind: 'Workspace', metadata: { name: 'shop', labels: { 'kubefed.io/managed': 'true' } } }, { fieldManager: 'kubefed' });
    // WHEN
    const report = await apply(synth(), opts(fleet, { waitTimeoutMs: 400 }));
    // THEN
    const r = member(report, 'edge-1');
    expect(causes(r.join)).toEqual(['workspace-conflict']);
    expect(r.error).toContain('Cause: workspace-conflict: edge-1 holds KubeFed-managed Workspace shop, which host\'s FederatedWorkspace of the same name does not place on edge-1');
  });

  test('ksfed status: the Cluster missing; KubeSphere missing on an agent member; the agent gone and the JWT secret changed; a token changed on the host', async () => {
    // GIVEN branch-7 has no KubeSphere, and nothing is applied yet (edge-1's ks-installer made its own JWT secret)
    fleet = await startFleet({ sandbox: { withoutKubeSphere: ['branch-7'] } });
    const dist = synth();
    const before = await status(dist, opts(fleet));
    expect(causes(member(before, 'edge-1').join)).toEqual(['cluster-missing', 'jwt-secret-mismatch']);
    // WHEN only the host is applied: branch-7's Cluster waits for an agent that cannot run without KubeSphere
    expect((await apply(dist, opts(fleet, { only: ['host', 'edge-1'] }))).success).toBe(true);
    const hostOnly = await status(dist, opts(fleet));
    expect(causes(member(hostOnly, 'edge-1').join)).toEqual([]);
    expect(causes(member(hostOnly, 'branch-7').join)).toEqual(['kubesphere-missing']);
    expect(formatStatus(hostOnly)).toMatch(/^branch-7: not joined: kubesphere-missing: branch-7 has no namespace kubesphere-system: KubeSphere is not installed there\. Fix: install KubeSphere v3\.4 on branch-7 /m);
    await fleet.stop();

    // GIVEN a fleet that joined
    fleet = await startFleet();
    expect((await apply(dist, opts(fleet))).success).toBe(true);
    // (ks-installer on each member wrote the host's jwtSecret from the member's ClusterConfiguration)
    expect(causes(member(await status(dist, opts(fleet)), 'branch-7').join)).toEqual([]);
    // WHEN branch-7's JWT secret is changed by hand and its agent deleted
    const branch = fleet.sandbox.cluster('branch-7');
    branch.api.mergePatch(branch.api.typeOf('v1', 'Secret'), 'kubesphere-system', 'kubesphere-secret', { data: { secret: Buffer.from('another-secret-0123456789abcdef').toString('base64') } }, 'kubectl-edit');
    branch.api.delete(branch.api.typeOf('apps/v1', 'Deployment'), 'kubesphere-system', 'cluster-agent');
    const host = fleet.sandbox.cluster('host');
    const disconnected = () => host.get('cluster.kubesphere.io/v1alpha1', 'Cluster', 'branch-7').status.conditions.find((c: any) => c.type === 'AgentAvailable').status === 'False';
    for (let i = 0; i < 200 && !disconnected(); i++) await new Promise(r => setTimeout(r, 10));
    // THEN
    const gone = await status(dist, opts(fleet));
    expect(causes(member(gone, 'branch-7').join)).toEqual(['agent-missing', 'jwt-secret-mismatch']);
    const text = formatStatus(gone);
    expect(text).toMatch(/^branch-7: not joined: agent-missing: branch-7 has no Deployment kubesphere-system\/cluster-agent, so nothing connects it to tower\. Fix: apply branch-7's folder/m);
    expect(text).toMatch(/^branch-7: not joined: jwt-secret-mismatch: the JWT secret of branch-7 .* differs from host's/m);
    expect(text).not.toContain('another-secret-0123456789abcdef');
    expect(text).not.toContain(FAKE_JWT_SECRET);

    // WHEN the agent is back, and the token on the host's Cluster changes under it
    expect((await apply(dist, opts(fleet, { only: ['branch-7'] }))).success).toBe(true);
    const token = host.get('cluster.kubesphere.io/v1alpha1', 'Cluster', 'branch-7').spec.connection.token;
    host.api.mergePatch(host.api.typeOf('cluster.kubesphere.io/v1alpha1', 'Cluster'), undefined, 'branch-7', { spec: { connection: { token: 'e'.repeat(64) } } }, 'kubectl-edit');
    const refused = () => host.get('cluster.kubesphere.io/v1alpha1', 'Cluster', 'branch-7').status.conditions.find((c: any) => c.type === 'AgentAvailable').status === 'False';
    for (let i = 0; i < 200 && !refused(); i++) await new Promise(r => setTimeout(r, 10));
    const changed = await status(dist, opts(fleet));
    expect(causes(member(changed, 'branch-7').join)).toEqual(['agent-token-mismatch', 'jwt-secret-mismatch']);
    const json = JSON.stringify(changed);
    expect(json).not.toContain(token);
    expect(json).not.toContain('e'.repeat(64));
  });
});
