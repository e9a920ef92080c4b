import { Connection, Host, Member, Placement, SelectorOperator } from '../src';
import { federationClusters } from '../src/workspace';
import { testApp } from './util/fleet';

function fleet() {
  const app = testApp();
  const host = new Host(app, 'host', { name: 'host', region: 'eu' });
  const a = new Member(app, 'a', { host, name: 'a', region: 'eu', group: 'production', connection: Connection.direct() });
  const b = new Member(app, 'b', { host, name: 'b', region: 'us', group: 'production', connection: Connection.agent() });
  const c = new Member(app, 'c', { host, name: 'c', region: 'us', group: 'testing', labels: { gpu: 'true' }, connection: Connection.direct() });
  return { app, host, a, b, c, clusters: federationClusters(host) };
}

describe('Placement', () => {
  test('clusters: an explicit list, in KubeFed form', () => {
    const { a, b, clusters } = fleet();
    const p = Placement.clusters(b, a);
    expect(p._toKube()).toEqual({ clusters: [{ name: 'b' }, { name: 'a' }] });
    expect(p._resolve(clusters)).toEqual(['a', 'b']);
    expect(p.listedClusters?.map(c => c.clusterName)).toEqual(['b', 'a']);
  });

  test('selector: labels and expressions over the Cluster labels', () => {
    const { clusters } = fleet();
    expect(Placement.selector({ matchLabels: { 'cluster.kubesphere.io/region': 'us' } })._resolve(clusters)).toEqual(['b', 'c']);
    expect(Placement.selector({ matchExpressions: [{ key: 'gpu', operator: SelectorOperator.EXISTS }] })._resolve(clusters)).toEqual(['c']);
    expect(Placement.selector({ matchExpressions: [{ key: 'cluster.kubesphere.io/group', operator: SelectorOperator.NOT_IN, values: ['testing'] }] })._resolve(clusters))
      .toEqual(['a', 'b', 'host']);
    expect(Placement.selector({ matchExpressions: [{ key: 'cluster.kubesphere.io/region', operator: SelectorOperator.IN, values: ['eu'] }] })._resolve(clusters)).toEqual(['a', 'host']);
    expect(Placement.selector({ matchExpressions: [{ key: 'gpu', operator: SelectorOperator.DOES_NOT_EXIST }] })._toKube()).toEqual({
      clusterSelector: { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] },
    });
  });

  test('all includes the host; members excludes it', () => {
    const { clusters } = fleet();
    expect(Placement.all()._toKube()).toEqual({ clusterSelector: {} });
    expect(Placement.all()._resolve(clusters)).toEqual(['a', 'b', 'c', 'host']);
    expect(Placement.members()._resolve(clusters)).toEqual(['a', 'b', 'c']);
    expect(Placement.selector({})._resolve(clusters)).toEqual(['a', 'b', 'c', 'host']);
  });

  test('validation', () => {
    const { a } = fleet();
    expect(() => Placement.clusters()).toThrow(/\[Placement.clusters\] clusters \[\]: an empty list places on no cluster at all. Fix: name at least one member/);
    expect(() => Placement.clusters(a, a)).toThrow(/\[Placement.clusters\] clusters "a": the cluster is listed twice/);
    expect(() => Placement.clusters({} as any)).toThrow(/it is not a Host or Member/);
    expect(() => Placement.selector({ matchExpressions: [{ key: 'x', operator: SelectorOperator.IN }] })).toThrow(/matchExpressions\[0\].values \[\]: operator In needs at least one value/);
    expect(() => Placement.selector({ matchExpressions: [{ key: 'x', operator: SelectorOperator.EXISTS, values: ['y'] }] })).toThrow(/operator Exists takes no values/);
    expect(() => Placement.selector({ matchExpressions: [{ key: 'bad key', operator: SelectorOperator.EXISTS }] })).toThrow(/matchExpressions\[0\].key "bad key"/);
    expect(() => Placement.selector({ matchExpressions: [{ key: 'x', operator: 'Near' as any, values: ['y'] }] })).toThrow(/\[Placement.selector\] matchExpressions\[0\].operator "Near": it is not a selector operator. Fix: use SelectorOperator.IN/);
    expect(() => Placement.selector({ matchLabels: { region: 'eu west' } })).toThrow(/\[Placement.selector\] matchLabels\["region"\] "eu west"/);
  });
});
