import { AbortedError, KubeApiError } from './errors';

/** How requests are retried: capped exponential backoff with jitter. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Delay before the first retry, before jitter. */
  readonly baseDelayMs: number;
  /** Cap of the delay between attempts. */
  readonly maxDelayMs: number;
  /** Cap of a server's `Retry-After` (a server asking for more is waited for this long). */
  readonly maxRetryAfterMs: number;
}

/** The default policy: 6 attempts, 250 ms doubling up to 8 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 };

/** Time, injectable for tests. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with AbortedError when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock. */
export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  }),
};

/** A random source in [0, 1), injectable for tests. */
export type Random = () => number;

/**
 * The delay before retry number `retry` (1 for the first retry): `min(cap, base * 2^(retry-1))`, of which a
 * random half is kept ("equal jitter"), so concurrent clients spread out but never retry at once.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: Random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Network error codes worth retrying. */
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'RequestTimeout']);

/** Whether a failed request may succeed when sent again. */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof KubeApiError)) return false;
  if (e.code === 0) return RETRYABLE_NETWORK.has(e.reason);
  return e.code === 429 || e.code === 500 || e.code === 502 || e.code === 503 || e.code === 504;
}

/** Options of `withRetry`. */
export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  readonly random: Random;
  /** Stops retrying (between attempts) when aborted. */
  readonly signal?: AbortSignal;
  /** Epoch ms after which no retry starts. */
  readonly deadline?: number;
  /** Called before each retry. */
  readonly onRetry?: (e: KubeApiError, retry: number, delayMs: number) => void;
}

/**
 * Runs `fn`, retrying retryable failures (429 honouring Retry-After, 5xx, resets, timeouts) with capped
 * exponential backoff and jitter. Never starts an attempt once the signal is aborted or the deadline passed.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, clock, random, signal, deadline } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new AbortedError();
    try {
      return await fn();
    } catch (e) {
      if (!isRetryable(e) || attempt >= policy.maxAttempts) throw e;
      const err = e as KubeApiError;
      let delay = backoffDelay(attempt, policy, random);
      if (err.code === 429 && err.retryAfterSeconds !== undefined) {
        delay = Math.max(delay, Math.min(policy.maxRetryAfterMs, err.retryAfterSeconds * 1000));
      }
      if (deadline !== undefined && clock.now() + delay > deadline) throw e;
      options.onRetry?.(err, attempt, delay);
      await clock.sleep(delay, signal);
    }
  }
}
