import { ComponentSize, Host, Tower, TowerServiceType } from '../../src';
import { objectOf, testApp } from '../util/fleet';

describe('Tower', () => {
  test('defaults (snapshot): LoadBalancer on 8080, own least-privilege ServiceAccount', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host' });
    expect(host.tower).toBeInstanceOf(Tower);
    expect(objectOf(app, 'host', 'Deployment', 'tower')).toMatchSnapshot();
    const svc = objectOf(app, 'host', 'Service', 'tower');
    expect(svc.spec).toMatchObject({ type: 'LoadBalancer', selector: { app: 'tower' }, externalTrafficPolicy: 'Cluster', ports: [{ port: 8080, targetPort: 8080 }] });
    const deployment = objectOf(app, 'host', 'Deployment', 'tower');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('tower');
    expect(deployment.spec.template.spec.containers[0].command).toEqual(['/proxy', '--ca-cert=/ca.crt', '--ca-key=/ca.key', '--v=4']);
    expect(objectOf(app, 'host', 'ClusterRole', 'kubesphere:tower').rules).toEqual([
      { apiGroups: ['cluster.kubesphere.io'], resources: ['clusters'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
    ]);
    expect(objectOf(app, 'host', 'Role', 'tower').rules[0].resources).toEqual(['services']);
  });

  test('ClusterIP service has no externalTrafficPolicy; size is applied', () => {
    const app = testApp();
    new Host(app, 'host', {
      name: 'host',
      towerServiceType: TowerServiceType.CLUSTER_IP,
      proxyPublishAddress: 'https://tower.example.com',
      sizes: { tower: ComponentSize.of({ cpuRequest: '200m', cpuLimit: '1', memoryRequest: '256Mi', memoryLimit: '512Mi' }) },
    });
    const svc = objectOf(app, 'host', 'Service', 'tower');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.externalTrafficPolicy).toBeUndefined();
    expect(objectOf(app, 'host', 'Deployment', 'tower').spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
  });

  test('validation: imageRegistry without scheme', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host' });
    expect(() => new Tower(host, 'tower2', { imageRegistry: 'https://mirror.local' })).toThrow(/\[host\/tower2\] imageRegistry "https:\/\/mirror.local": an image registry has no scheme.*Fix: drop the scheme: "mirror.local"/);
  });

  test('validation: node port range', () => {
    expect(() => new Host(testApp(), 'host', { name: 'host', towerServiceType: TowerServiceType.NODE_PORT, towerNodePort: 8080, proxyPublishAddress: 'http://n:8080' }))
      .toThrow(/\[host\/Tower\] nodePort 8080: node ports are whole numbers from 30000 to 32767 by default/);
  });
});
