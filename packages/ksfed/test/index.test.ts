import * as library from 'cdk8s-kubesphere-federation';
import * as engine from '../src';

test('the engine API: apply, diff, status, plan and their helpers', () => {
  expect(typeof engine.apply).toBe('function');
  expect(typeof engine.diff).toBe('function');
  expect(typeof engine.status).toBe('function');
  expect(typeof engine.plan).toBe('function');
  expect(typeof engine.moveMember).toBe('function');
  expect(typeof engine.formatMove).toBe('function');
  expect(typeof engine.diagnoseJoin).toBe('function');
  expect(engine.FIELD_MANAGER).toBe('ksfed');
  expect(engine.KSFED_APPLYSET_ID).toBe(engine.applySetId({ name: 'ksfed-applyset', namespace: 'kube-system', kind: 'Secret', group: '' }));
  expect(engine.parseDuration('1m')).toBe(60_000);
});

test('the engine stays out of the jsii API (client-node types must not reach it)', () => {
  const exported = Object.keys(library);
  for (const name of ['apply', 'diff', 'status', 'plan', 'moveMember', 'diagnoseJoin', 'KubeApiError', 'ClientNodeKubeClient']) expect(exported).not.toContain(name);
});
