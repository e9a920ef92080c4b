import { WorkQueue } from '../../src/real-fleet/work-queue';

/** A piece of work the test finishes by hand. */
interface Job {
  readonly key: string;
  finish(fail?: boolean): void;
}

function harness(workers: number) {
  const started: string[] = [];
  const jobs: Job[] = [];
  const errors: string[] = [];
  const queue = new WorkQueue(workers, (key) => new Promise<void>((resolve, reject) => {
    started.push(key);
    jobs.push({ key, finish: (fail) => (fail ? reject(new Error(`${key} failed`)) : resolve()) });
  }), (key, e) => errors.push(`${key}: ${(e as Error).message}`));
  const finish = async (key: string, fail = false) => {
    const i = jobs.findIndex((j) => j.key === key);
    jobs.splice(i, 1)[0].finish(fail);
    await new Promise((r) => setImmediate(r));
  };
  return { queue, started, errors, finish };
}

describe('WorkQueue: keyed work on a fixed number of workers', () => {
  test('works on up to `workers` keys at once, in the order added; the next starts when one is done', async () => {
    const { queue, started, finish } = harness(3);
    for (const k of ['a', 'b', 'c', 'd', 'e']) queue.add(k);
    expect(started).toEqual(['a', 'b', 'c']);
    expect(queue.active).toBe(3);
    await finish('b');
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    await finish('a');
    await finish('c');
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    await finish('d');
    await finish('e');
    expect(queue.active).toBe(0);
  });

  test('a key added while it waits is queued once; added while it runs, it runs again after (never twice at once)', async () => {
    const { queue, started, finish } = harness(1);
    queue.add('a');
    queue.add('b');
    queue.add('b');
    queue.add('a');
    queue.add('a');
    expect(started).toEqual(['a']);
    await finish('a');
    expect(started).toEqual(['a', 'b']);
    await finish('b');
    expect(started).toEqual(['a', 'b', 'a']);
    await finish('a');
    expect(started).toEqual(['a', 'b', 'a']);
    expect(queue.active).toBe(0);
  });

  test('a failure goes to onError and the queue goes on; after stop nothing new starts', async () => {
    const { queue, started, errors, finish } = harness(1);
    queue.add('a');
    queue.add('b');
    await finish('a', true);
    expect(errors).toEqual(['a: a failed']);
    expect(started).toEqual(['a', 'b']);
    queue.add('c');
    queue.stop();
    await finish('b');
    queue.add('d');
    expect(started).toEqual(['a', 'b']);
  });
});
