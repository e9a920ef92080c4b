import { synth } from './fixtures';
import { UsageError } from '../src/errors';
import { describeSource, formatPlan, plan } from '../src/plan';

const dist = synth();

describe('plan', () => {
  const p = plan(dist);

  test('every cluster at once; a member reads the host and waits only for the host objects its values come from', () => {
    expect(p.clusters.map(c => [c.name, c.readsFrom])).toEqual([['host', []], ['edge-1', ['host']], ['branch-7', ['host']]]);
    expect(p.clusters.map(c => [c.name, c.waitsOn])).toEqual([
      ['host', []],
      // the jwtSecret's Secret is ks-installer's, not in the host's folder: read at once, nothing to wait for
      ['edge-1', []],
      ['branch-7', ['Service kubesphere-system/tower on host ({{ksfed:proxy-address}})']],
    ]);
  });

  test('phases in apply order with waits', () => {
    const host = p.clusters[0];
    expect(host.phases.map(g => g.phase)).toEqual(['crds', 'namespaces', 'rbac', 'config', 'workloads', 'webhooks', 'custom-resources']);
    expect(host.phases[0].objects[0]).toMatchObject({ kind: 'CustomResourceDefinition', waitFor: 'established' });
    expect(host.phases.find(g => g.phase === 'workloads')!.objects.filter(o => o.waitFor === 'rollout').map(o => o.name)).toEqual(['kubefed-controller-manager', 'kubefed-admission-webhook', 'tower']);
  });

  test('placeholders and where they come from, never values', () => {
    const branch = p.clusters.find(c => c.name === 'branch-7')!;
    expect(branch.placeholders.map(x => [x.id, x.source])).toEqual([
      ['agent-token/branch-7', 'generated (32 random bytes), reusing Cluster branch-7/spec/connection/token on host'],
      ['jwt-secret', 'Secret kubesphere-system/kubesphere-secret key secret on host'],
      ['proxy-address', 'load balancer address of Service kubesphere-system/tower on host'],
    ]);
    expect(branch.joins).toBe('Cluster branch-7 on host AgentAvailable and Ready');
    expect(p.clusters.find(c => c.name === 'edge-1')!.joins).toBe('Cluster edge-1 on host Ready');
  });

  test('text: what a member waits for on the host', () => {
    expect(formatPlan(p).split('\n').filter(l => /^(Clusters|branch-7 |  waits for)/.test(l))).toEqual([
      'Clusters, all at once: host, edge-1, branch-7',
      'branch-7 (member, proxy, context branch-7), reads host',
      '  waits for Service kubesphere-system/tower on host ({{ksfed:proxy-address}})',
    ]);
  });

  test('text', () => {
    const text = formatPlan(plan(dist, { only: ['edge-1'], contexts: { 'edge-1': 'kind-edge' } }));
    expect(text).toBe([
      'Clusters, all at once: edge-1',
      '',
      'edge-1 (member, direct, context kind-edge)',
      '  custom-resources:',
      '    0000-clusterconfiguration-kubesphere-system-ks-installer.yaml  ClusterConfiguration kubesphere-system/ks-installer',
      '  then wait: Cluster edge-1 on host Ready',
      '  fills {{ksfed:jwt-secret}} from Secret kubesphere-system/kubesphere-secret key secret on host (secret)',
    ].join('\n'));
  });

  test('unknown clusters are bad input', () => {
    expect(() => plan(dist, { only: ['x'] })).toThrow(UsageError);
    expect(() => plan(dist, { contexts: { y: 'z' } })).toThrow(/unknown cluster "y"/);
  });

  test('sources in words', () => {
    expect(describeSource({ type: 'env', name: 'KS_JWT_SECRET' })).toBe('environment variable KS_JWT_SECRET');
    expect(describeSource({ type: 'context', context: 'edge-1' })).toBe('kubeconfig context edge-1');
    expect(describeSource({ type: 'webhook-certificate', part: 'key', namespace: 'n', secret: 's', cluster: 'host' })).toBe('self-signed certificate (key) kept in Secret n/s on host');
  });
});
