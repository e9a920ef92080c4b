import { Scheduler } from '../src/scheduler';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Scheduler', () => {
  test('runs once after the delay; rescheduling a key replaces the pending run', async () => {
    const s = new Scheduler();
    const runs: string[] = [];
    s.schedule('k', 20, () => runs.push('first'));
    s.schedule('k', 20, () => runs.push('second'));
    expect(s.pending('k')).toBe(true);
    await sleep(50);
    expect(runs).toEqual(['second']);
    expect(s.pending('k')).toBe(false);
    s.stop();
  });

  test('cancel and stop; errors go to onError', async () => {
    const s = new Scheduler();
    const runs: string[] = [];
    const errors: unknown[] = [];
    s.schedule('a', 5, () => runs.push('a'));
    s.cancel('a');
    s.schedule('b', 5, () => {
      throw new Error('boom');
    }, (e) => errors.push(e));
    await sleep(30);
    expect(runs).toEqual([]);
    expect(errors).toHaveLength(1);
    s.schedule('c', 5, () => runs.push('c'));
    s.stop();
    s.schedule('d', 1, () => runs.push('d'));
    await sleep(30);
    expect(runs).toEqual([]);
  });

  test('timers are unref\'d: they never keep the process alive', () => {
    const s = new Scheduler();
    const spy = jest.spyOn(global, 'setTimeout');
    s.schedule('x', 1000, () => undefined);
    const timer = spy.mock.results[spy.mock.results.length - 1].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    spy.mockRestore();
    s.stop();
  });
});
