import { apply, clientFor, configMap, eventually } from './helpers';
import { Sandbox } from '../src';

describe('namespace controller', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, rolloutDelayMs: 40 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  test('every namespace gets the default ServiceAccount and kube-root-ca.crt', async () => {
    await apply(clientFor(sandbox, 'c'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh' } });
    const c = sandbox.cluster('c');
    expect(c.get('v1', 'ServiceAccount', 'default', 'fresh')).toBeDefined();
    expect(c.get('v1', 'ConfigMap', 'kube-root-ca.crt', 'fresh').data['ca.crt']).toContain('BEGIN CERTIFICATE');
    expect(c.get('v1', 'ServiceAccount', 'default', 'kube-system')).toBeDefined();
  });

  test('a deleted namespace stays Terminating for the delay, then goes with its contents', async () => {
    const client = clientFor(sandbox, 'c');
    await apply(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } });
    await apply(client, configMap('x', {}, 'gone'));
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } });
    const c = sandbox.cluster('c');
    expect(c.get('v1', 'ConfigMap', 'x', 'gone')).toBeDefined();
    await client.delete(configMap('x', {}, 'gone'));
    await eventually(() => c.get('v1', 'Namespace', 'gone') === undefined);
    expect(c.list('v1', 'ServiceAccount', 'gone')).toEqual([]);
  });

  test('namespace finalizers hold it until cleared', async () => {
    const client = clientFor(sandbox, 'c');
    const ns = (finalizers: string[]) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'held', finalizers } });
    await apply(client, ns(['example.com/hold']));
    await client.delete(ns([]));
    await new Promise((r) => setTimeout(r, 100));
    expect(sandbox.cluster('c').get('v1', 'Namespace', 'held')?.status.phase).toBe('Terminating');
    expect(sandbox.cluster('c').list('v1', 'ConfigMap', 'held')).toEqual([]);
    await apply(client, ns([]));
    await eventually(() => sandbox.cluster('c').get('v1', 'Namespace', 'held') === undefined);
  });
});
