/**
 * Errors of the applier. `UsageError` is bad input (a missing folder, a malformed file, an unknown cluster, a
 * missing context, rejected credentials): the CLI prints its one-line message and exits 2, without a stack trace.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The run was cancelled (Ctrl-C or an aborted signal). */
export class AbortedError extends Error {
  constructor(message = 'aborted') {
    super(message);
    this.name = 'AbortedError';
  }
}

/** A wait or the whole run ran out of time. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** A `Status.details.causes` entry (on the wire the cause type is the member `reason`). */
export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

/**
 * A failed Kubernetes API request, with what the server said (a `Status` object) or the network error.
 */
export class KubeApiError extends Error {
  /** HTTP status code, or 0 for a network error. */
  public readonly code: number;
  /** The `Status` reason (`NotFound`, `Conflict`, ...) or the network error code (`ECONNRESET`, ...). */
  public readonly reason: string;
  /** Seconds the server asked us to wait (`Retry-After`), if any. */
  public readonly retryAfterSeconds?: number;
  /** The `Status.details.causes`, if any. */
  public readonly causes: StatusCause[];

  constructor(code: number, reason: string, message: string, options: { retryAfterSeconds?: number; causes?: StatusCause[] } = {}) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.causes = options.causes ?? [];
  }

  /** Whether the server does not serve this kind (yet): its API group/version or kind is unknown. */
  public get notServed(): boolean {
    return this.reason === 'NotServed';
  }
}

/** The message of any thrown value, without a stack. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Whether `e` is a KubeApiError with one of the codes. */
export function isApiError(e: unknown, ...codes: number[]): e is KubeApiError {
  return e instanceof KubeApiError && (codes.length === 0 || codes.includes(e.code));
}

/** Field-manager conflicts of a 409 from a server-side apply: `[{ manager, field }]`. */
export function conflictsOf(e: KubeApiError): { manager: string; field: string }[] {
  const out: { manager: string; field: string }[] = [];
  for (const cause of e.causes) {
    if (cause.reason !== 'FieldManagerConflict') continue;
    const manager = /conflict with "([^"]+)"/.exec(cause.message ?? '')?.[1] ?? 'another manager';
    out.push({ manager, field: cause.field ?? /: (\S+)$/.exec(cause.message ?? '')?.[1] ?? '?' });
  }
  if (out.length === 0) {
    const m = /conflict with "([^"]+)"/.exec(e.message);
    if (m) out.push({ manager: m[1], field: /: (\.\S+)/.exec(e.message)?.[1] ?? '?' });
  }
  return out;
}
