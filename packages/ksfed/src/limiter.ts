// How many requests are in flight: a FIFO semaphore, one that serves higher priorities first, and a bounded map.
import { UsageError } from './errors';

/** A counting semaphore: at most `size` holders at once, FIFO. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(public readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new UsageError(`concurrency must be a whole number of at least 1, got ${size}`);
  }

  /** Runs `fn` once a slot is free. */
  public async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** How many holders run now. */
  public get inFlight(): number {
    return this.active;
  }

  private acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise(resolve => this.queue.push(() => {
      this.active++;
      resolve();
    }));
  }

  private release(): void {
    this.active--;
    const next = this.queue.shift();
    if (next) next();
  }
}

/**
 * Runs `fn` on every item with at most `limit` running at once; resolves with the results in input order. When
 * one fails, no further item starts, the running ones finish, and the first error is thrown.
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

/**
 * A counting semaphore that hands free slots to the waiting holder of highest priority (FIFO among equals). Slots
 * are handed out once the holders that became ready in the same moment are all queued: a slot freed by a holder
 * that finished goes to the best of those queued by then, the work that finish unblocked included.
 */
export class PriorityLimiter {
  private active = 0;
  private seq = 0;
  private draining = false;
  private readonly queue: { priority: number; seq: number; start: () => void }[] = [];

  constructor(public readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new UsageError(`concurrency must be a whole number of at least 1, got ${size}`);
  }

  /** Runs `fn` once a slot is free and no holder of higher priority waits. */
  public async run<T>(priority: number, fn: () => Promise<T>): Promise<T> {
    await new Promise<void>(resolve => {
      this.queue.push({ priority, seq: this.seq++, start: resolve });
      this.queue.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      this.drain();
    });
    try {
      return await fn();
    } finally {
      this.active--;
      this.drain();
    }
  }

  /** Hands out the free slots on the next turn of the event loop. */
  private drain(): void {
    if (this.draining || this.queue.length === 0) return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      while (this.active < this.size && this.queue.length > 0) {
        this.active++;
        this.queue.shift()!.start();
      }
    });
  }
}
