import { ApiObject, Chart } from 'cdk8s';
import { ClusterChart, ClusterVisibility, Connection, Host, Member } from '../src';
import { dnsLabelProblem } from '../src/_util';
import { componentToggles } from '../src/cluster-chart';
import { testApp } from './util/fleet';

describe('ClusterChart', () => {
  test('brands: Host/Member/ClusterChart checks do not match other charts', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host' });
    const member = new Member(app, 'm', { host, name: 'm', connection: Connection.direct() });
    const plain = new Chart(app, 'plain');
    expect(Host.isHost(host)).toBe(true);
    expect(Host.isHost(member)).toBe(false);
    expect(Member.isMember(member)).toBe(true);
    expect(Member.isMember(plain)).toBe(false);
    expect(ClusterChart.isClusterChart(plain)).toBe(false);
    expect(ClusterChart.forScope(host.kubefed!)).toBe(host);
    expect(() => ClusterChart.forScope(new ApiObject(plain, 'x', { apiVersion: 'v1', kind: 'ConfigMap' }))).toThrow(/\[plain\/x\] is not inside a Host or Member/);
  });

  test('cluster labels are a copy and include region, group, visibility', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host', region: 'r', group: 'g', visibility: ClusterVisibility.PUBLIC, context: 'admin@host' });
    const labels = host.clusterLabels;
    labels.extra = 'x';
    expect(host.clusterLabels).toEqual({ 'cluster.kubesphere.io/region': 'r', 'cluster.kubesphere.io/group': 'g', 'cluster.kubesphere.io/visibility': 'public' });
    expect(host.context).toBe('admin@host');
    expect(app.federationManifest().clusters[0].context).toBe('admin@host');
  });

  test('component toggles map to ClusterConfiguration keys', () => {
    const toggles = { alerting: true, metricsServer: false, edgeRuntime: true, serviceMesh: true, gatekeeper: false, events: true, auditing: false };
    expect(componentToggles(toggles)).toEqual({
      alerting: { enabled: true },
      auditing: { enabled: false },
      events: { enabled: true },
      metrics_server: { enabled: false },
      servicemesh: { enabled: true },
      gatekeeper: { enabled: false },
      edgeruntime: { enabled: true, kubeedge: { enabled: true } },
    });
    expect(componentToggles(undefined)).toEqual({});
  });

  test.each([
    ['too long', 'a'.repeat(61)],
    ['too long with a "-" at the limit', `${'a'.repeat(59)}-bc`],
    ['too long and invalid', `Edge_${'X'.repeat(70)}`],
  ])('validation: a cluster name %s gets a suggestion that is itself a valid name (at most 60)', (_what, name) => {
    let message = 'accepted';
    try {
      new Host(testApp(), 'host', { name });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^\[host\] name ".*": .*\(at most 60, since tower names a Service "mc-<name>"\). Fix: use a name like "[a-z0-9-]+"$/);
    const suggestion = /use a name like "([^"]*)"/.exec(message)![1];
    expect(dnsLabelProblem(suggestion, 60)).toBeUndefined();
  });

  test('validation: empty context', () => {
    expect(() => new Host(testApp(), 'host', { name: 'host', context: ' ' })).toThrow(/\[host\] context " ": it is empty/);
  });
});
