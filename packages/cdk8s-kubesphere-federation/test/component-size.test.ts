import { ComponentSize } from '../src';

describe('ComponentSize', () => {
  test('upstream defaults', () => {
    expect(ComponentSize.KUBEFED_CONTROLLER_MANAGER._toKube()).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(ComponentSize.KUBEFED_ADMISSION_WEBHOOK._toKube()).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '256Mi' } });
    expect(ComponentSize.TOWER._toKube()).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(ComponentSize.CLUSTER_AGENT._toKube()).toEqual({ requests: { cpu: '100m', memory: '100M' }, limits: { cpu: '1', memory: '200M' } });
  });

  test('parsed requests', () => {
    const size = ComponentSize.of({ cpuRequest: '1.5', memoryRequest: '1Gi' });
    expect(size.cpuRequestMillis).toBe(1500);
    expect(size.memoryRequestBytes).toBe(2 ** 30);
    expect(size._toKube()).toEqual({ requests: { cpu: '1.5', memory: '1Gi' } });
    expect(ComponentSize.CLUSTER_AGENT.memoryRequestBytes).toBe(100e6);
  });

  test('validation', () => {
    expect(() => ComponentSize.of({ cpuRequest: '100 m', memoryRequest: '64Mi' })).toThrow(/\[ComponentSize.of\] cpuRequest "100 m": it is not a positive Kubernetes quantity. Fix: write it like "100m"/);
    expect(() => ComponentSize.of({ cpuRequest: '100m', memoryRequest: '64MB' })).toThrow(/memoryRequest "64MB": it is not a positive Kubernetes quantity/);
    expect(() => ComponentSize.of({ cpuRequest: '0', memoryRequest: '64Mi' })).toThrow(/cpuRequest "0": it is not a positive Kubernetes quantity/);
    expect(() => ComponentSize.of({ cpuRequest: '500m', cpuLimit: '200m', memoryRequest: '64Mi' })).toThrow(/\[ComponentSize.of\] cpuLimit "200m": it is below cpuRequest "500m". Fix: raise cpuLimit to at least 500m/);
    expect(() => ComponentSize.of({ cpuRequest: '1', memoryRequest: '1Gi', memoryLimit: '512Mi' })).toThrow(/memoryLimit "512Mi": it is below memoryRequest "1Gi". Fix: raise memoryLimit to at least 1024Mi/);
  });
});
