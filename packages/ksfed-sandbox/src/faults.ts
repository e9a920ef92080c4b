import { Random } from './random';

/** Fault injection for one cluster endpoint. Rates are probabilities in [0, 1] per request. */
export interface FaultOptions {
  /**
   * The round trip of every request, in milliseconds: its answer leaves this long after it arrived. The request is
   * served at once (its work is part of the round trip, as with a real server) and the answer held back for the
   * rest; one whose work takes longer is answered when done. Injected errors and resets, and watches, wait it whole
   * first.
   */
  readonly latencyMs?: number;
  /** Share of requests answered 429 TooManyRequests with `Retry-After`. */
  readonly rate429?: number;
  /** The `Retry-After` of those 429s, in seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** Share of requests answered 500 or 503. */
  readonly rate5xx?: number;
  /** Share of requests whose connection is reset before they are processed. */
  readonly rateReset?: number;
  /** Share of mutating requests that are committed and then have their connection reset (the client cannot know). */
  readonly resetAfterCommitRate?: number;
  /** PRNG seed: the same seed and the same request sequence give the same faults (default 1). */
  readonly seed?: number;
}

/** What to do with one request. */
export interface FaultDecision {
  readonly latencyMs: number;
  /** `429`, `500`, `503` or `reset` before processing, or `none`. */
  readonly before: 'none' | '429' | '500' | '503' | 'reset';
  /** Reset the connection after a mutating request was committed. */
  readonly resetAfterCommit: boolean;
  readonly retryAfterSeconds: number;
}

/**
 * Deterministic fault decisions: each request draws the same number of values from a seeded PRNG, so the
 * sequence of faults depends only on the seed and the order of requests, not on which faults are enabled.
 */
export class FaultInjector {
  private options: FaultOptions;
  private random: Random;

  constructor(options: FaultOptions = {}) {
    this.options = options;
    this.random = new Random(options.seed ?? 1);
  }

  /** Replaces the options and restarts the PRNG from their seed. */
  public set(options: FaultOptions): void {
    this.options = options;
    this.random = new Random(options.seed ?? 1);
  }

  /** The current options. */
  public get current(): FaultOptions {
    return this.options;
  }

  /** Decides the fate of the next request. */
  public decide(): FaultDecision {
    const o = this.options;
    const [r429, r5xx, rReset, rAfter, rWhich] = [this.random.next(), this.random.next(), this.random.next(), this.random.next(), this.random.next()];
    let before: FaultDecision['before'] = 'none';
    if (rReset < (o.rateReset ?? 0)) before = 'reset';
    else if (r429 < (o.rate429 ?? 0)) before = '429';
    else if (r5xx < (o.rate5xx ?? 0)) before = rWhich < 0.5 ? '500' : '503';
    return {
      latencyMs: Math.max(0, o.latencyMs ?? 0),
      before,
      resetAfterCommit: rAfter < (o.resetAfterCommitRate ?? 0),
      retryAfterSeconds: o.retryAfterSeconds ?? 1,
    };
  }
}
