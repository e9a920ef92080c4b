import { UsageError } from '../../src/applier/errors';
import { FederationCluster, FederationObject } from '../../src/applier/federation';
import { clusterOrder, Limiter, mapLimit, phaseGroups, pollDelay, PriorityLimiter } from '../../src/applier/ordering';

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

describe('PriorityLimiter', () => {
  test('a slot freed by a holder that finished goes to the best holder queued by then, the work its finish unblocked included', async () => {
    const limiter = new PriorityLimiter(1);
    const order: string[] = [];
    const run = (name: string, priority: number) => limiter.run(priority, async () => {
      order.push(name);
      await new Promise(r => setTimeout(r, 5));
    });
    // A runs; B waits; A's finish unblocks C, of higher priority than B
    const a = run('A', 5).then(() => run('C', 9));
    const b = run('B', 1);
    await Promise.all([a, b]);
    expect(order).toEqual(['A', 'C', 'B']);
  });
});

describe('Limiter', () => {
  test('never runs more than its size at once, FIFO', async () => {
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4, 5].map(i => limiter.run(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise(r => setTimeout(r, 5));
      order.push(i);
      active--;
    })));
    expect(peak).toBe(2);
    expect(order.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(limiter.inFlight).toBe(0);
  });

  test('releases on failure', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(async () => {
      throw new Error('x');
    })).rejects.toThrow('x');
    await expect(limiter.run(async () => 'ok')).resolves.toBe('ok');
  });

  test('size must be a whole number', () => {
    expect(() => new Limiter(0)).toThrow(UsageError);
    expect(() => new Limiter(1.5)).toThrow(UsageError);
  });
});

test('mapLimit keeps input order and bounds concurrency', async () => {
  let active = 0;
  let peak = 0;
  const out = await mapLimit([30, 10, 20, 5], 2, async (ms, i) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise(r => setTimeout(r, ms));
    active--;
    return i;
  });
  expect(out).toEqual([0, 1, 2, 3]);
  expect(peak).toBe(2);
  expect(await mapLimit([], 3, async () => 1)).toEqual([]);
});

test('mapLimit stops starting items after a failure and rethrows it once the running ones finish', async () => {
  const started: number[] = [];
  const finished: number[] = [];
  await expect(mapLimit([1, 2, 3, 4, 5], 2, async i => {
    started.push(i);
    await new Promise(r => setTimeout(r, i === 1 ? 1 : 20));
    if (i === 1) throw new Error('first failed');
    finished.push(i);
    return i;
  })).rejects.toThrow('first failed');
  expect(started).toEqual([1, 2]);
  expect(finished).toEqual([2]);
});

test('polls start quick and back off to the interval', () => {
  expect([0, 1, 2, 3, 4, 5, 6, 7].map(n => pollDelay(n, 1000))).toEqual([25, 50, 100, 200, 400, 800, 1000, 1000]);
  expect(pollDelay(0, 10)).toBe(10);
  expect(pollDelay(100, 1000)).toBe(1000);
});
