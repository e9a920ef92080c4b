import { conflictsOf, isApiError, KubeApiError, messageOf, UsageError } from '../src/errors';

describe('conflictsOf', () => {
  test('reads managers and fields from FieldManagerConflict causes', () => {
    // GIVEN the Status of a 409 from a server-side apply, as kube-apiserver v1.34 sends it (the cause type is `reason`)
    const e = new KubeApiError(409, 'Conflict', 'Apply failed with 2 conflicts', {
      causes: [
        { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using apps/v1', field: '.spec.replicas' },
        { reason: 'FieldManagerConflict', message: 'conflict with "helm" using apps/v1', field: '.spec.template.spec.containers[name="x"].image' },
      ],
    });
    // THEN
    expect(conflictsOf(e)).toEqual([
      { manager: 'kubectl-edit', field: '.spec.replicas' },
      { manager: 'helm', field: '.spec.template.spec.containers[name="x"].image' },
    ]);
  });

  test('falls back to the message', () => {
    const e = new KubeApiError(409, 'Conflict', 'Apply failed with 1 conflict: conflict with "other" using v1: .data.a');
    expect(conflictsOf(e)).toEqual([{ manager: 'other', field: '.data.a' }]);
  });
});

test('helpers', () => {
  expect(isApiError(new KubeApiError(404, 'NotFound', 'x'), 404)).toBe(true);
  expect(isApiError(new KubeApiError(404, 'NotFound', 'x'), 409)).toBe(false);
  expect(isApiError(new Error('x'))).toBe(false);
  expect(messageOf(new UsageError('bad'))).toBe('bad');
  expect(messageOf('text')).toBe('text');
  expect(new KubeApiError(404, 'NotServed', 'x').notServed).toBe(true);
});
