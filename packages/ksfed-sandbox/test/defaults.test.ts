import { defaultCrdSpec, defaultPodSpec, defaultPullPolicy, defaultServiceSpec, defaultWebhooks, defaultWorkloadSpec } from '../src/defaults';

// Every expectation below is what kube-apiserver v1.34.4 stored for the same input (test/e2e/sandbox-differential).
describe('built-in defaults', () => {
  test('imagePullPolicy: Always without a tag or with :latest, else IfNotPresent', () => {
    expect(['nginx', 'nginx:latest', 'reg:5000/nginx', 'nginx:1.25', 'reg:5000/nginx:1', 'nginx@sha256:ab'].map(defaultPullPolicy))
      .toEqual(['Always', 'Always', 'Always', 'IfNotPresent', 'IfNotPresent', 'IfNotPresent']);
  });

  test('pod spec: containers, probes, env field references, volumes, pod-level fields', () => {
    const spec: any = {
      serviceAccountName: 'sa',
      containers: [{
        name: 'main',
        image: 'nginx:1.25',
        ports: [{ containerPort: 80 }],
        env: [{ name: 'P', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'M', value: '$(P) $$(Q)' }],
        readinessProbe: { httpGet: { path: '/', port: 80 } },
      }],
      volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', configMap: { name: 'cfg' } }],
    };
    defaultPodSpec(spec);
    expect(spec).toEqual({
      serviceAccountName: 'sa',
      serviceAccount: 'sa',
      containers: [{
        name: 'main',
        image: 'nginx:1.25',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'P', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }, { name: 'M', value: '$(P) $$(Q)' }],
        readinessProbe: { httpGet: { path: '/', port: 80, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      }],
      volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', configMap: { name: 'cfg', defaultMode: 420 } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
    });
  });

  test('workload specs: Deployment, StatefulSet, DaemonSet; what is set stays', () => {
    const deploy: any = { replicas: 3, template: { spec: { containers: [] } } };
    defaultWorkloadSpec('Deployment', deploy);
    expect(deploy).toMatchObject({
      replicas: 3,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: { spec: { restartPolicy: 'Always' } },
    });
    const recreate: any = { strategy: { type: 'Recreate' } };
    defaultWorkloadSpec('Deployment', recreate);
    expect(recreate.strategy).toEqual({ type: 'Recreate' });
    const sts: any = {};
    defaultWorkloadSpec('StatefulSet', sts);
    expect(sts).toEqual({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    const ds: any = {};
    defaultWorkloadSpec('DaemonSet', ds);
    expect(ds).toEqual({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
  });

  test('Service: ClusterIP, LoadBalancer and ExternalName defaults', () => {
    const cluster: any = { ports: [{ port: 80 }] };
    defaultServiceSpec(cluster);
    expect(cluster).toEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    });
    const lb: any = { type: 'LoadBalancer' };
    defaultServiceSpec(lb);
    expect(lb).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true, internalTrafficPolicy: 'Cluster' });
    const ext: any = { type: 'ExternalName', externalName: 'example.com' };
    defaultServiceSpec(ext);
    expect(ext).toEqual({ type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });
  });

  test('webhook configurations and CRDs', () => {
    const hooks: any = { webhooks: [{ name: 'w', clientConfig: { service: { name: 's', namespace: 'n' } }, rules: [{ operations: ['CREATE'] }] }] };
    defaultWebhooks(hooks, true);
    expect(hooks.webhooks[0]).toEqual({
      name: 'w',
      clientConfig: { service: { name: 's', namespace: 'n', port: 443 } },
      rules: [{ operations: ['CREATE'], scope: '*' }],
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      timeoutSeconds: 10,
      reinvocationPolicy: 'Never',
    });
    const crd: any = { names: { kind: 'Widget', plural: 'widgets' } };
    defaultCrdSpec(crd);
    expect(crd).toEqual({ names: { kind: 'Widget', plural: 'widgets', listKind: 'WidgetList' }, conversion: { strategy: 'None' } });
  });
});
