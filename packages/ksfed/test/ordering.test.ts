import { UsageError } from '../src/errors';
import { FederationCluster, FederationObject } from '../src/federation';
import { clusterOrder, phaseGroups, pollDelay } from '../src/ordering';

function cluster(name: string, dependsOn: string[] = []): FederationCluster {
  return { name, role: name === 'host' ? 'host' : 'member', folder: name, context: name, dependsOn, labels: {}, constructPath: name, phases: [], objects: [] };
}

function obj(file: string, phase: string): FederationObject {
  return { cluster: 'c', file, phase, apiVersion: 'v1', kind: 'ConfigMap', name: file, constructPath: file, manifest: {}, placeholders: [] };
}

describe('cluster order', () => {
  const fleet = [cluster('host'), cluster('edge-1', ['host']), cluster('branch-7', ['host']), cluster('lab')];

  test('members wait for the host; unrelated clusters do not wait', () => {
    expect(clusterOrder(fleet, ['host', 'edge-1', 'branch-7', 'lab'])).toEqual([
      { name: 'host', waitsFor: [] },
      { name: 'edge-1', waitsFor: ['host'] },
      { name: 'branch-7', waitsFor: ['host'] },
      { name: 'lab', waitsFor: [] },
    ]);
  });

  test('a dependency outside --only is assumed applied', () => {
    expect(clusterOrder(fleet, ['edge-1'])).toEqual([{ name: 'edge-1', waitsFor: [] }]);
  });

  test('a cycle is bad input', () => {
    const cyclic = [cluster('a', ['b']), cluster('b', ['c']), cluster('c', ['a'])];
    expect(() => clusterOrder(cyclic, ['a', 'b', 'c'])).toThrow(UsageError);
    expect(() => clusterOrder(cyclic, ['a', 'b', 'c'])).toThrow(/a -> b -> c -> a/);
  });
});

describe('phases', () => {
  test('grouped in phase order, files sorted inside a phase, empty phases dropped', () => {
    const groups = phaseGroups([obj('0003-c', 'custom-resources'), obj('0001-b', 'workloads'), obj('0000-a', 'crds'), obj('0002-d', 'workloads')]);
    expect(groups.map(g => [g.phase, g.objects.map(o => o.file)])).toEqual([
      ['crds', ['0000-a']],
      ['workloads', ['0001-b', '0002-d']],
      ['custom-resources', ['0003-c']],
    ]);
  });

  test('an unknown phase goes last', () => {
    expect(phaseGroups([obj('a', 'later'), obj('b', 'crds')]).map(g => g.phase)).toEqual(['crds', 'later']);
  });
});

test('polls start quick and back off to the interval', () => {
  expect([0, 1, 2, 3, 4, 5, 6, 7].map(n => pollDelay(n, 1000))).toEqual([25, 50, 100, 200, 400, 800, 1000, 1000]);
  expect(pollDelay(0, 10)).toBe(10);
  expect(pollDelay(100, 1000)).toBe(1000);
});
