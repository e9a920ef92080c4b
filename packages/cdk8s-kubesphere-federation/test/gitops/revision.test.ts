import { GitRevision, GitRevisionType } from '../../src';

describe('GitRevision', () => {
  test('branch, tag and commit', () => {
    expect(GitRevision.branch('release/2024-06')).toMatchObject({ type: GitRevisionType.BRANCH, value: 'release/2024-06' });
    expect(GitRevision.tag('fleet-v42')).toMatchObject({ type: GitRevisionType.TAG, value: 'fleet-v42' });
    expect(GitRevision.commit('0123456789abcdef0123456789abcdef01234567').type).toBe(GitRevisionType.COMMIT);
    expect(GitRevision.commit('a'.repeat(64)).value).toHaveLength(64);
  });

  test('ref names Git refuses', () => {
    expect(() => GitRevision.branch('')).toThrow(/^\[GitRevision\.branch\] name "": it is empty\. Fix: give a branch name such as "main" or "release\/2024-06"$/);
    expect(() => GitRevision.branch('my branch')).toThrow(/^\[GitRevision\.branch\] name "my branch": it holds a character Git refuses in a ref name \(space, ~ \^ : \? \* \[ \\ or a control character\)\. Fix: give a branch name such as "main" or "release\/2024-06"$/);
    expect(() => GitRevision.branch('a..b')).toThrow(/name "a\.\.b": it holds "\.\.", "@\{" or "\/\/", which Git refuses in a ref name/);
    expect(() => GitRevision.tag('-v1')).toThrow(/^\[GitRevision\.tag\] name "-v1": a ref name cannot start with '-' or '\/', nor end with '\/', '\.' or '\.lock'\. Fix: give a tag name such as "fleet-v42"$/);
    expect(() => GitRevision.branch('main.lock')).toThrow(/name "main\.lock": a ref name cannot start/);
  });

  test('commits must be full SHAs', () => {
    expect(() => GitRevision.commit('abc123')).toThrow(/^\[GitRevision\.commit\] sha "abc123": it is not a full commit SHA \(40 or 64 lowercase hex digits\)\. Fix: give the full SHA, e\.g\. the output of `git rev-parse HEAD`$/);
    expect(() => GitRevision.commit('A'.repeat(40))).toThrow(/it is not a full commit SHA/);
  });
});
