import { Host, User } from '../src';
import { dnsLabelProblem } from '../src/_util';
import { objectOf, testApp } from './util/fleet';
import { describeWithUpstream, loadUpstreamCrd, validateAgainstCrd } from './util/schema';

const HASH = '$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3n2HhTtfRBuJGEhtA6PpZ.y';

describe('User', () => {
  test('a user with a bcrypt hash (snapshot)', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host' });
    new User(host, 'alice', { name: 'alice', email: 'alice@example.com', passwordHash: HASH, displayName: 'Alice', lang: 'en' });
    const user = objectOf(app, 'host', 'User', 'alice');
    expect(user).toMatchSnapshot();
    expect(user.spec).toEqual({ email: 'alice@example.com', password: HASH, lang: 'en', displayName: 'Alice' });
    expect(user.metadata.labels).toEqual({ 'kubefed.io/managed': 'false' });
  });

  test('validation', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host' });
    expect(() => new User(host, 'u1', { name: 'bob', email: 'bob@example.com', passwordHash: 'P4ssw0rd!' })).toThrow(
      /\[host\/u1\] passwordHash "\(hidden\)": it is not a bcrypt hash, and a plain password must never be written to the output. Fix: hash it with bcrypt/);
    expect(() => new User(host, 'u2', { name: 'Bob', email: 'bob@example.com' })).toThrow(/\[host\/u2\] name "Bob": it must be a DNS-1123 label/);
    expect(() => new User(host, 'u3', { name: 'bob', email: 'bob' })).toThrow(/\[host\/u3\] email "bob": it is not an e-mail address/);
    new User(host, 'ok', { name: 'bob', email: 'bob@example.com' });
    expect(() => new User(host, 'u4', { name: 'bob', email: 'bob2@example.com' })).toThrow(/\[host\/u4\] name "bob": user name already used by host\/ok/);
    expect(() => new User(host, 'u5', { name: 'bobby', email: 'bob@example.com' })).toThrow(/\[host\/u5\] email "bob@example.com": e-mail already used by host\/ok; KubeSphere keeps e-mails unique/);
  });
});

test.each([`${'a'.repeat(62)}-b`, `Bob.${'x'.repeat(58)}.y`])('a user name too long gets a valid suggestion (%s)', name => {
  const host = new Host(testApp(), 'host', { name: 'host' });
  let message = 'accepted';
  try {
    new User(host, 'u', { name, email: 'u@example.com' });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(/^\[host\/u\] name ".*": it is \d+ characters long, more than 63. Fix: use a user name like "[a-z0-9-]+"$/);
  expect(dnsLabelProblem(/user name like "([^"]*)"/.exec(message)![1])).toBeUndefined();
});

describeWithUpstream('User against the upstream CRD', () => {
  test('accepted by the real schema', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host' });
    new User(host, 'alice', { name: 'alice', email: 'alice@example.com', passwordHash: HASH, description: 'd' });
    expect(validateAgainstCrd(loadUpstreamCrd('users.iam.kubesphere.io.yaml'), objectOf(app, 'host', 'User', 'alice'))).toEqual([]);
  });
});
