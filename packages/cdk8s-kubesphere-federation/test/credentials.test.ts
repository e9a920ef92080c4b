import { AgentToken, JwtSecret, Kubeconfig } from '../src';

describe('JwtSecret', () => {
  test('sources and equality', () => {
    expect(JwtSecret.fromHostCluster().fromHost).toBe(true);
    expect(JwtSecret.fromEnv('A').fromHost).toBe(false);
    expect(JwtSecret.fromEnv('A').sameAs(JwtSecret.fromEnv('A'))).toBe(true);
    expect(JwtSecret.fromEnv('A').sameAs(JwtSecret.fromEnv('B'))).toBe(false);
    expect(JwtSecret.fromFile('/s').sameAs(JwtSecret.fromEnv('A'))).toBe(false);
    expect(JwtSecret.unsafePlainText('12345678').sameAs(JwtSecret.unsafePlainText('12345678'))).toBe(true);
    expect(JwtSecret.unsafePlainText('12345678').sameAs(JwtSecret.fromEnv('A'))).toBe(false);
    expect(JwtSecret.fromEnv('KS_JWT').description).toBe('environment variable KS_JWT');
  });

  test('validation', () => {
    expect(() => JwtSecret.fromEnv('1BAD')).toThrow(/\[JwtSecret.fromEnv\] name "1BAD": it is not an environment variable name. Fix: use letters, digits and '_'/);
    expect(() => JwtSecret.fromFile(' ')).toThrow(/\[JwtSecret.fromFile\] path " ": it is empty/);
    expect(() => JwtSecret.unsafePlainText('short')).toThrow(/\[JwtSecret.unsafePlainText\] value "5 characters": a jwtSecret must be at least 8 characters/);
  });
});

describe('Kubeconfig', () => {
  test('sources', () => {
    expect(Kubeconfig.fromContext().description).toBe('the member\'s context');
    expect(Kubeconfig.fromContext('admin@edge').description).toBe('context admin@edge');
    expect(Kubeconfig.fromFile('/k.yaml', 'ctx').description).toBe('file /k.yaml');
    expect(Kubeconfig.fromEnv('KC').description).toBe('environment variable KC');
    expect(Kubeconfig.fromEnv('KC', 'admin@edge')._source).toEqual({ type: 'env', name: 'KC', context: 'admin@edge' });
  });

  test('validation', () => {
    expect(() => Kubeconfig.fromContext('')).toThrow(/\[Kubeconfig.fromContext\] context "": it is empty/);
    expect(() => Kubeconfig.fromEnv('a-b')).toThrow(/\[Kubeconfig.fromEnv\] name "a-b": it is not an environment variable name/);
    expect(() => Kubeconfig.fromFile('')).toThrow(/\[Kubeconfig.fromFile\] path "": it is empty/);
    expect(() => Kubeconfig.unsafeInline('hello')).toThrow(/\[Kubeconfig.unsafeInline\] kubeconfigYaml "5 characters": it does not look like a kubeconfig/);
  });
});

describe('AgentToken', () => {
  test('validation', () => {
    expect(() => AgentToken.fromEnv('')).toThrow(/\[AgentToken.fromEnv\] name "": it is not an environment variable name/);
    expect(() => AgentToken.generated()).not.toThrow();
    expect(() => AgentToken.fromTower()).not.toThrow();
  });
});
