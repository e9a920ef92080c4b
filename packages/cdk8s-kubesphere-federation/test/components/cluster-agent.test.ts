import { ApiObject, Chart } from 'cdk8s';
import { ClusterAgent, ComponentSize } from '../../src';
import { testApp } from '../util/fleet';

describe('ClusterAgent', () => {
  test('standalone (snapshot): token through a Secret, never in the Deployment', () => {
    const chart = new Chart(testApp(), 'member');
    const agent = new ClusterAgent(chart, 'agent', { clusterName: 'm1', proxyAddress: 'http://tower:8080', token: 'tok-123', size: ComponentSize.of({ cpuRequest: '50m', memoryRequest: '50M' }), imageRegistry: 'mirror.local' });
    const objects = chart.toJson();
    expect(objects).toMatchSnapshot();
    expect(ApiObject.of(agent.deployment).metadata.name).toBe('cluster-agent');
    const deployment = objects.find((o: any) => o.kind === 'Deployment');
    expect(JSON.stringify(deployment)).not.toContain('tok-123');
    expect(deployment.spec.template.spec.containers[0].image).toBe('mirror.local/kubesphere/tower:v0.2.1');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('kubesphere');
    expect(objects.find((o: any) => o.kind === 'Secret').stringData.token).toBe('tok-123');
  });

  test('validation: imageRegistry without scheme', () => {
    const chart = new Chart(testApp(), 'member');
    expect(() => new ClusterAgent(chart, 'agent', { clusterName: 'm1', proxyAddress: 'http://tower:8080', token: 't', imageRegistry: 'oci://mirror.local/ks' })).toThrow(
      /\[member\/agent\] imageRegistry "oci:\/\/mirror.local\/ks": an image registry has no scheme.*Fix: drop the scheme: "mirror.local\/ks"/);
  });
});
