import { changes, comparable, deepEqual, describeChange, printable, readableChange, readablePath, touches } from '../src/diff';

describe('comparable', () => {
  test('drops server-owned metadata and status', () => {
    const live = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', uid: 'u', resourceVersion: '7', generation: 2, creationTimestamp: 't', managedFields: [{}], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      data: { a: '1' },
      status: { x: 1 },
    };
    expect(comparable(live)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { a: '1' } });
  });
});

describe('changes', () => {
  test('JSON-pointer paths of what differs', () => {
    const before = { spec: { replicas: 1, template: { image: 'a' }, ports: [1, 2] }, metadata: { labels: { 'a/b': 'x' } } };
    const after = { spec: { replicas: 2, template: { image: 'a' }, ports: [1, 3] }, metadata: { labels: { 'a/b': 'y' } } };
    expect(changes(before, after).map(c => c.path)).toEqual(['/metadata/labels/a~1b', '/spec/ports/1', '/spec/replicas']);
  });

  test('arrays of another length differ as a whole; equal values have no changes', () => {
    expect(changes({ a: [1] }, { a: [1, 2] })).toEqual([{ path: '/a', before: [1], after: [1, 2] }]);
    expect(changes({ a: { b: undefined } }, { a: {} })).toEqual([]);
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
  });

  test('values of Secrets are never printable', () => {
    const change = { path: '/data/tls.key', before: 'old', after: 'new' };
    expect(printable('Secret', change)).toBe(false);
    expect(describeChange('Secret', change)).toBe('/data/tls.key');
    expect(describeChange('Deployment', { path: '/spec/replicas', before: 1, after: 2 })).toBe('/spec/replicas: 1 -> 2');
    expect(describeChange('ConfigMap', { path: '/data/big', before: 'x'.repeat(100), after: 'y' })).toBe('/data/big');
  });

  test('values where a placeholder stands are never printable, on either side: its pointer, a path under it, a parent that changed whole', () => {
    const secret = ['/spec/authentication/jwtSecret', '/spec/template/spec/containers/0/command/3'];
    expect(describeChange('ClusterConfiguration', { path: '/spec/authentication/jwtSecret', before: 'live-secret-A', after: 'new-secret-B' }, secret)).toBe('/spec/authentication/jwtSecret');
    // a placeholder inside a longer string
    expect(describeChange('Deployment', { path: '/spec/template/spec/containers/0/command/3', before: '--proxy-server=http://10.0.0.1:8080', after: '--proxy-server=http://10.0.0.2:8080' }, secret))
      .toBe('/spec/template/spec/containers/0/command/3');
    // a parent that changed as a whole, and a path under the pointer (the live object had an object there)
    expect(describeChange('ClusterConfiguration', { path: '/spec/authentication', before: 'old', after: 'new' }, secret)).toBe('/spec/authentication');
    expect(describeChange('ClusterConfiguration', { path: '/spec/authentication/jwtSecret/value', before: 'live-secret-A' }, secret)).toBe('/spec/authentication/jwtSecret/value');
    expect(describeChange('ClusterConfiguration', { path: '/', before: 'a', after: 'b' }, secret)).toBe('/');
    // elsewhere values are shown; a sibling that shares a prefix is not under the pointer
    expect(describeChange('ClusterConfiguration', { path: '/spec/authentication/jwtSecretName', before: 'a', after: 'b' }, secret)).toBe('/spec/authentication/jwtSecretName: "a" -> "b"');
    expect(describeChange('Deployment', { path: '/spec/template/spec/containers/0/command/30', before: 'a', after: 'b' }, secret)).toBe('/spec/template/spec/containers/0/command/30: "a" -> "b"');
    expect(touches('/spec', secret)).toBe(true);
    expect(touches('/metadata', secret)).toBe(false);
    expect(touches('/spec/x', [])).toBe(false);
  });
});

describe('readable paths (the text diff)', () => {
  test.each([
    ['/spec/replicas', 'spec.replicas'],
    ['/metadata/annotations/kubesphere.io~1creator', 'metadata.annotations["kubesphere.io/creator"]'],
    ['/spec/template/spec/containers/0/image', 'spec.template.spec.containers[0].image'],
    ['/data/tls.crt', 'data["tls.crt"]'],
    ['/metadata/labels/a~0b', 'metadata.labels["a~b"]'],
    ['/data/say \"hi\"', 'data["say \\"hi\\""]'],
    ['/', '(the whole object)'],
  ])('%s reads %s', (pointer, readable) => {
    expect(readablePath(pointer)).toBe(readable);
  });

  test('a change keeps its values; the pointer alone when they are not shown', () => {
    expect(readableChange('/metadata/labels/cluster.kubesphere.io~1region: "eu-west" -> "eu-north"')).toBe('metadata.labels["cluster.kubesphere.io/region"]: "eu-west" -> "eu-north"');
    expect(readableChange('/spec/authentication/jwtSecret')).toBe('spec.authentication.jwtSecret');
    expect(readableChange('/data/a: b: 1 -> 2')).toBe('data.a: b: 1 -> 2');
  });
});
