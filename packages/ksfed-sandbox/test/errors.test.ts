import { ApiError, failureStatus, successStatus } from '../src/errors';

describe('ApiError', () => {
  test('renders the API server Status object', () => {
    expect(ApiError.notFound({ group: 'apps', plural: 'deployments' }, 'web').toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "web" not found',
      reason: 'NotFound',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    expect(ApiError.notFound({ group: '', plural: 'namespaces' }, 'x').message).toBe('namespaces "x" not found');
  });

  test('Invalid lists one cause per field', () => {
    const e = ApiError.invalid('Widget', 'example.com', 'w', [
      { field: 'spec.a', message: 'Required value', reason: 'FieldValueRequired' },
      { field: 'spec.b', message: 'Invalid value: 1: bad' },
    ]);
    expect(e.code).toBe(422);
    expect(e.message).toBe('Widget.example.com "w" is invalid: [spec.a: Required value, spec.b: Invalid value: 1: bad]');
    expect(e.toStatus().details.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.a' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: 1: bad', field: 'spec.b' },
    ]);
  });

  test('429 carries Retry-After in a header and in details', () => {
    const e = ApiError.tooManyRequests(3);
    expect(e.headers).toEqual({ 'Retry-After': '3' });
    expect(e.toStatus()).toMatchObject({ code: 429, reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
  });

  test('other constructors', () => {
    expect(ApiError.unauthorized().toStatus()).toMatchObject({ code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
    expect(ApiError.alreadyExists({ group: '', plural: 'configmaps' }, 'a').message).toBe('configmaps "a" already exists');
    expect(ApiError.conflict({ group: '', plural: 'configmaps' }, 'a', 'why').message).toBe('Operation cannot be fulfilled on configmaps "a": why');
    expect(ApiError.unsupportedMediaType('text/plain').code).toBe(415);
    expect(ApiError.methodNotAllowed().code).toBe(405);
    expect(ApiError.expired('old').code).toBe(410);
    expect(ApiError.internal('boom').toStatus()).toMatchObject({ code: 500, reason: 'InternalError', message: 'Internal error occurred: boom' });
    expect(ApiError.unavailable('x').code).toBe(503);
    expect(ApiError.forbidden('no').code).toBe(403);
    expect(failureStatus(400, 'BadRequest', 'm')).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'm', reason: 'BadRequest', code: 400 });
    expect(successStatus({ group: '', plural: 'configmaps' }, 'a', 'u')).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'a', kind: 'configmaps', uid: 'u' },
    });
  });
});
