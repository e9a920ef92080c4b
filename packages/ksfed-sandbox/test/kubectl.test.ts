import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { eventually } from './helpers';
import { Sandbox } from '../src';
import { hasKubectl } from './util/kubectl';


const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: demo
data:
  color: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - {name: http, containerPort: 80}
`;

const CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wg]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
`;

const WIDGET = `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1, namespace: demo}
spec: {size: 3}
`;

const CONFLICTING = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: demo
data:
  color: red
`;

// kubectl 1.32 against the sandbox, with its default (strict, server-side) validation: no --validate=false.
// client-go never sends a bearer token over plain HTTP, so this sandbox runs with `anonymous: true`.
const suite = hasKubectl() ? describe : describe.skip;
if (!hasKubectl()) {
  // eslint-disable-next-line no-console
  console.warn('kubectl is not installed: skipping the kubectl tests of the sandbox');
}

suite('kubectl against the sandbox (skipped when kubectl is absent)', () => {
  jest.setTimeout(20000);
  let sandbox: Sandbox;
  let dir: string;
  let kubeconfig: string;

  const kubectl = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), '--context', 'host', ...args],
      { timeout: 20000 }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['host'], anonymous: true, establishDelayMs: 20, rolloutDelayMs: 20 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-sandbox-kubectl-'));
    kubeconfig = file('kubeconfig.yaml', sandbox.kubeconfigYaml());
  });
  afterAll(async () => {
    await sandbox.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('apply --server-side (validation on) of a Namespace, ConfigMap and Deployment; get -o json', async () => {
    const res = await kubectl('apply', '--server-side', '-f', file('app.yaml', MANIFEST));
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\n').filter(Boolean)).toEqual([
      'namespace/demo serverside-applied', 'configmap/settings serverside-applied', 'deployment.apps/web serverside-applied',
    ]);
    const patch = sandbox.cluster('host').requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/configmaps/settings'))!;
    expect(patch.query).toMatchObject({ fieldManager: 'kubectl', fieldValidation: 'Strict' });
    const host = sandbox.cluster('host');
    expect(host.get('v1', 'ConfigMap', 'settings', 'demo').data).toEqual({ color: 'blue' });
    expect(host.get('apps/v1', 'Deployment', 'web', 'demo').metadata.managedFields[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply' });

    const get = await kubectl('get', 'deployment', 'web', '-n', 'demo', '-o', 'json');
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ kind: 'Deployment', spec: { replicas: 2 } });
    const list = await kubectl('get', 'configmaps', '-n', 'demo', '-o', 'json');
    expect(JSON.parse(list.stdout).items.map((i: any) => i.metadata.name)).toEqual(['kube-root-ca.crt', 'settings']);
    const table = await kubectl('get', 'configmaps', '-n', 'demo');
    expect(table.stdout).toContain('settings');
  });

  test('a conflicting apply by another field manager fails, then succeeds with --force-conflicts', async () => {
    const conflicting = file('conflict.yaml', CONFLICTING);
    const refused = await kubectl('apply', '--server-side', '--field-manager', 'other', '-f', conflicting);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .data.color');
    expect(sandbox.cluster('host').get('v1', 'ConfigMap', 'settings', 'demo').data.color).toBe('blue');
    const forced = await kubectl('apply', '--server-side', '--field-manager', 'other', '--force-conflicts', '-f', conflicting);
    expect(forced.code).toBe(0);
    const cm = sandbox.cluster('host').get('v1', 'ConfigMap', 'settings', 'demo');
    expect(cm.data.color).toBe('red');
    expect(cm.metadata.managedFields.map((e: any) => e.manager)).toEqual(['other']);
  });

  test('a CRD, then a custom resource once it is established; unknown fields are refused', async () => {
    expect((await kubectl('apply', '--server-side', '-f', file('crd.yaml', CRD))).code).toBe(0);
    expect((await kubectl('wait', '--for', 'condition=established', '--timeout=10s', 'crd/widgets.example.com')).code).toBe(0);
    const cr = await kubectl('apply', '--server-side', '-f', file('widget.yaml', WIDGET));
    expect(cr.stdout.trim()).toBe('widget.example.com/w1 serverside-applied');
    expect(sandbox.cluster('host').get('example.com/v1', 'Widget', 'w1', 'demo').spec).toEqual({ size: 3 });
    const bad = await kubectl('apply', '--server-side', '-f', file('bad.yaml', WIDGET.replace('size: 3', 'size: 3, colour: red')));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('failed to create typed patch object (demo/w1; example.com/v1, Kind=Widget): .spec.colour: field not declared in schema');
    const wg = await kubectl('get', 'wg', '-n', 'demo', '-o', 'json');
    expect(JSON.parse(wg.stdout).items.map((i: any) => i.metadata.name)).toEqual(['w1']);
  });

  test('delete returns (it waits on a watch) and the objects are gone from the store', async () => {
    const res = await kubectl('delete', '-f', file('app2.yaml', MANIFEST));
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('namespace "demo" deleted');
    await eventually(() => sandbox.cluster('host').get('v1', 'Namespace', 'demo') === undefined);
    expect(sandbox.cluster('host').get('apps/v1', 'Deployment', 'web', 'demo')).toBeUndefined();
    expect(sandbox.cluster('host').list('example.com/v1', 'Widget')).toEqual([]);
  });
});
