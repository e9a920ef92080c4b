import { AbortedError, KubeApiError } from '../src/errors';
import { backoffDelay, Clock, DEFAULT_RETRY_POLICY, isRetryable, RetryPolicy, withRetry } from '../src/retry';

/** A fake clock: sleeping advances time instantly and records the delays. */
function fakeClock(): Clock & { slept: number[]; t: number } {
  const c = {
    t: 1_000_000,
    slept: [] as number[],
    now: () => c.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw new AbortedError();
      c.slept.push(ms);
      c.t += ms;
    },
  };
  return c;
}

const POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 30_000 };

/** A function failing with the given errors, then returning 'ok'. */
function failing(...errors: Error[]): { fn: () => Promise<string>; calls: () => number } {
  let n = 0;
  return {
    fn: async () => {
      const e = errors[n++];
      if (e) throw e;
      return 'ok';
    },
    calls: () => n,
  };
}

describe('backoff', () => {
  test('doubles from the base, capped, with the random half as jitter', () => {
    // GIVEN the lowest and highest random draws
    const low = () => 0;
    const high = () => 0.999999;
    // THEN equal jitter: [ceiling/2, ceiling]
    expect([1, 2, 3, 4, 5, 6].map(n => backoffDelay(n, POLICY, low))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 6].map(n => backoffDelay(n, POLICY, high))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  test('jitter spreads concurrent clients', () => {
    const delays = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map(r => backoffDelay(3, POLICY, () => r)));
    expect(delays.size).toBe(5);
  });
});

describe('what is retried', () => {
  test.each([
    [429, 'TooManyRequests', true], [500, 'InternalError', true], [502, 'BadGateway', true], [503, 'ServiceUnavailable', true],
    [504, 'Timeout', true], [400, 'BadRequest', false], [401, 'Unauthorized', false], [404, 'NotFound', false], [409, 'Conflict', false],
  ])('HTTP %d %s -> %s', (code, reason, expected) => {
    expect(isRetryable(new KubeApiError(code as number, reason as string, 'x'))).toBe(expected);
  });

  test.each([['ECONNRESET', true], ['ECONNREFUSED', true], ['RequestTimeout', true], ['ETIMEDOUT', true], ['ENOTFOUND', false], ['Error', false]])('network %s -> %s', (reason, expected) => {
    expect(isRetryable(new KubeApiError(0, reason as string, 'x'))).toBe(expected);
  });

  test('plain errors are not retried', () => {
    expect(isRetryable(new Error('boom'))).toBe(false);
  });
});

describe('withRetry', () => {
  test('retries 5xx and resets with growing delays, then succeeds', async () => {
    // GIVEN
    const clock = fakeClock();
    const f = failing(new KubeApiError(503, 'ServiceUnavailable', 'x'), new KubeApiError(0, 'ECONNRESET', 'x'), new KubeApiError(500, 'InternalError', 'x'));
    // WHEN
    const result = await withRetry(f.fn, { policy: POLICY, clock, random: () => 0 });
    // THEN
    expect(result).toBe('ok');
    expect(f.calls()).toBe(4);
    expect(clock.slept).toEqual([50, 100, 200]);
  });

  test('honours Retry-After of a 429 when it is longer than the backoff', async () => {
    const clock = fakeClock();
    const f = failing(new KubeApiError(429, 'TooManyRequests', 'slow down', { retryAfterSeconds: 3 }));
    await withRetry(f.fn, { policy: POLICY, clock, random: () => 0 });
    expect(clock.slept).toEqual([3000]);
  });

  test('caps a huge Retry-After', async () => {
    const clock = fakeClock();
    const f = failing(new KubeApiError(429, 'TooManyRequests', 'x', { retryAfterSeconds: 3600 }));
    await withRetry(f.fn, { policy: { ...POLICY, maxRetryAfterMs: 2_000 }, clock, random: () => 0 });
    expect(clock.slept).toEqual([2000]);
  });

  test('gives up after maxAttempts with the last error', async () => {
    const clock = fakeClock();
    const errors = Array.from({ length: 10 }, (_, i) => new KubeApiError(503, 'ServiceUnavailable', `attempt ${i + 1}`));
    const f = failing(...errors);
    await expect(withRetry(f.fn, { policy: POLICY, clock, random: () => 0 })).rejects.toThrow('attempt 5');
    expect(f.calls()).toBe(5);
  });

  test('does not retry a conflict', async () => {
    const f = failing(new KubeApiError(409, 'Conflict', 'conflict'));
    await expect(withRetry(f.fn, { policy: POLICY, clock: fakeClock(), random: () => 0 })).rejects.toThrow('conflict');
    expect(f.calls()).toBe(1);
  });

  test('does not start a retry past the deadline', async () => {
    const clock = fakeClock();
    const f = failing(new KubeApiError(503, 'x', 'a'), new KubeApiError(503, 'x', 'b'));
    await expect(withRetry(f.fn, { policy: POLICY, clock, random: () => 0, deadline: clock.t + 60 })).rejects.toThrow('b');
    expect(clock.slept).toEqual([50]);
  });

  test('stops between attempts when aborted', async () => {
    const controller = new AbortController();
    const clock = fakeClock();
    let n = 0;
    const fn = async () => {
      n++;
      controller.abort();
      throw new KubeApiError(503, 'x', 'y');
    };
    await expect(withRetry(fn, { policy: POLICY, clock, random: () => 0, signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
    expect(n).toBe(1);
  });

  test('the default policy is bounded', () => {
    const delays = Array.from({ length: DEFAULT_RETRY_POLICY.maxAttempts - 1 }, (_, i) => backoffDelay(i + 1, DEFAULT_RETRY_POLICY, () => 1));
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(20_000);
  });
});
