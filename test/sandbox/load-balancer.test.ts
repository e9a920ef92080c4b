import { apply, clientFor, eventually } from './helpers';
import { Sandbox } from '../../src/sandbox';

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
});
