import { apply, clientFor, eventually } from './helpers';
import { Sandbox } from '../src';

describe('load-balancer controller', () => {
  test('a LoadBalancer Service gets an ingress IP; a ClusterIP Service does not', async () => {
    const sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, rolloutDelayMs: 10 });
    try {
      const svc = (name: string, type: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type, ports: [{ port: 8080 }] } });
      await apply(clientFor(sandbox, 'c'), svc('lb', 'LoadBalancer'));
      await apply(clientFor(sandbox, 'c'), svc('plain', 'ClusterIP'));
      const live = await eventually(() => sandbox.cluster('c').get('v1', 'Service', 'lb', 'default').status?.loadBalancer?.ingress && sandbox.cluster('c').get('v1', 'Service', 'lb', 'default'));
      expect(live.status.loadBalancer.ingress[0].ip).toMatch(/^172\.31\.0\.\d+$/);
      expect(live.metadata.managedFields.find((e: any) => e.manager === 'cloud-controller-manager').subresource).toBe('status');
      await new Promise((r) => setTimeout(r, 30));
      expect(sandbox.cluster('c').get('v1', 'Service', 'plain', 'default').status?.loadBalancer?.ingress).toBeUndefined();
    } finally {
      await sandbox.stop();
    }
  });

  test('withoutLoadBalancer: LoadBalancer Services of that cluster stay pending, the others get an address', async () => {
    const sandbox = await Sandbox.start({ clusters: ['a', 'b'], kubesphere: false, rolloutDelayMs: 5, withoutLoadBalancer: ['a'] });
    try {
      const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 8080 }] } };
      await apply(clientFor(sandbox, 'a'), svc);
      await apply(clientFor(sandbox, 'b'), svc);
      await eventually(() => sandbox.cluster('b').get('v1', 'Service', 'lb', 'default').status?.loadBalancer?.ingress);
      await new Promise((r) => setTimeout(r, 50));
      expect(sandbox.cluster('a').get('v1', 'Service', 'lb', 'default').status?.loadBalancer?.ingress).toBeUndefined();
    } finally {
      await sandbox.stop();
    }
  });
});
