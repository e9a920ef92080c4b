import { JsonObject } from './json';

/** A `metav1.Status` cause. */
export interface StatusCause {
  readonly type?: string;
  readonly reason?: string;
  readonly message: string;
  readonly field?: string;
}

/** What a `Status` object's `details` names. */
export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: StatusCause[];
  readonly retryAfterSeconds?: number;
}

/** An API failure, rendered on the wire as a `Status` object with the same code, reason and message. */
export class ApiError extends Error {
  /** 400 BadRequest. */
  public static badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  }

  /** 401 Unauthorized. */
  public static unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  }

  /** 403 Forbidden. */
  public static forbidden(message: string, details?: StatusDetails): ApiError {
    return new ApiError(403, 'Forbidden', message, details);
  }

  /** 404 NotFound for a named object: `configmaps "x" not found`. */
  public static notFound(resource: GroupResource, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(resource)} "${name}" not found`, detailsOf(resource, name));
  }

  /** 404 NotFound for a path the server does not serve. */
  public static noSuchResource(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  }

  /** 405 MethodNotAllowed. */
  public static methodNotAllowed(): ApiError {
    return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
  }

  /** 409 AlreadyExists. */
  public static alreadyExists(resource: GroupResource, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(resource)} "${name}" already exists`, detailsOf(resource, name));
  }

  /** 409 Conflict on a stale resourceVersion or a failed precondition. */
  public static conflict(resource: GroupResource, name: string, why: string): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource)} "${name}": ${why}`,
      detailsOf(resource, name));
  }

  /** 410 Expired, for a watch that asks for a resourceVersion older than the server remembers. */
  public static expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  }

  /** 415 UnsupportedMediaType for a PATCH (custom resources take no strategic merge patch). */
  public static unsupportedMediaType(_contentType: string, strategic = true): ApiError {
    return new ApiError(415, 'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: '
      + `application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${strategic ? ', application/strategic-merge-patch+json' : ''}`);
  }

  /** 422 Invalid, with one cause per field error, worded like the API server. */
  public static invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    // (the message lists each distinct error once; the causes keep every one, duplicates included)
    const text = [...new Set(causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)))];
    const summary = text.length === 1 ? text[0] : `[${text.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
      name: name || undefined,
      group: group || undefined,
      kind,
      causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
    });
  }

  /** 429 TooManyRequests with `Retry-After`. */
  public static tooManyRequests(retryAfterSeconds: number): ApiError {
    return new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.',
      { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
  }

  /** 500 InternalError. */
  public static internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  }

  /** 503 ServiceUnavailable. */
  public static unavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  }

  constructor(
    public readonly code: number,
    public readonly reason: string,
    message: string,
    public readonly details?: StatusDetails,
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The `Status` object sent on the wire. */
  public toStatus(): JsonObject {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

/** A group and a plural resource name, as used in messages (`deployments.apps`). */
export interface GroupResource {
  readonly group: string;
  readonly plural: string;
}

/** A `Status` object for a failure. */
export function failureStatus(code: number, reason: string, message: string, details?: StatusDetails): JsonObject {
  const status: JsonObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message };
  if (reason) status.reason = reason;
  if (details) status.details = JSON.parse(JSON.stringify(details));
  status.code = code;
  return status;
}

/** A `Status` object for a successful delete. */
export function successStatus(resource: GroupResource, name: string, uid: string): JsonObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...detailsOf(resource, name), uid },
  };
}

function qualified(resource: GroupResource): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

function detailsOf(resource: GroupResource, name: string): StatusDetails {
  return resource.group ? { name, group: resource.group, kind: resource.plural } : { name, kind: resource.plural };
}
