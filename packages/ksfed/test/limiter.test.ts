import { UsageError } from '../src/errors';
import { Limiter, mapLimit, PriorityLimiter } from '../src/limiter';

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
