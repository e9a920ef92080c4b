import { AgentToken, Connection, ConnectionType, Kubeconfig } from '../src';

describe('Connection', () => {
  test('direct defaults to the member\'s context', () => {
    const c = Connection.direct();
    expect(c.type).toBe(ConnectionType.DIRECT);
    expect(c.kubeconfig?.description).toBe('the member\'s context');
    expect(c.token).toBeUndefined();
  });

  test('direct with a context or a kubeconfig source', () => {
    expect(Connection.direct({ context: 'ctx' }).kubeconfig?.description).toBe('context ctx');
    expect(Connection.direct({ kubeconfig: Kubeconfig.fromFile('/k') }).kubeconfig?.description).toBe('file /k');
  });

  test('agent defaults to a generated token', () => {
    const c = Connection.agent();
    expect(c.type).toBe(ConnectionType.PROXY);
    expect(c.token).toBeInstanceOf(AgentToken);
    expect(c.proxyAddress).toBeUndefined();
    expect(Connection.agent({ proxyAddress: 'https://tower.example.com:8443' }).proxyAddress).toBe('https://tower.example.com:8443');
  });

  test('validation', () => {
    expect(() => Connection.direct({ context: 'a', kubeconfig: Kubeconfig.fromEnv('K') })).toThrow(
      /\[Connection.direct\] context "a": context and kubeconfig were both given. Fix: give one/);
    expect(() => Connection.direct({ kubesphereApiEndpoint: 'ks-apiserver:80' })).toThrow(/\[Connection.direct\] kubesphereApiEndpoint "ks-apiserver:80": it is not an http\(s\) URL/);
    expect(() => Connection.agent({ proxyAddress: 'ws://tower' })).toThrow(/\[Connection.agent\] proxyAddress "ws:\/\/tower": it is not an http\(s\) URL. Fix: write it like "http:\/\/203.0.113.10:8080"/);
  });
});
