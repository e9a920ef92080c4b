import { Redactor } from '../src/redact';

describe('Redactor', () => {
  test('replaces values and their base64 form by their label', () => {
    // GIVEN
    const r = new Redactor();
    r.add('s3cr3t-token-value', '{{ksfed:agent-token/branch-7}}');
    // WHEN
    const text = `token=s3cr3t-token-value b64=${Buffer.from('s3cr3t-token-value').toString('base64')}`;
    // THEN
    expect(r.redact(text)).toBe('token={{ksfed:agent-token/branch-7}} b64={{ksfed:agent-token/branch-7}}');
    expect(r.leaks(text)).toBe(true);
    expect(r.leaks('nothing here')).toBe(false);
  });

  test('longest value wins, short values are ignored', () => {
    const r = new Redactor();
    r.add('abcdef', 'A');
    r.add('abcdefghij', 'B');
    r.add('ab', 'C');
    expect(r.redact('abcdefghij abcdef ab')).toBe('B A ab');
  });

  test('redacts deeply and escapes regex characters', () => {
    const r = new Redactor();
    r.add('a.b*c+d?e', 'X');
    expect(r.redactDeep({ list: ['a.b*c+d?e', 1], nested: { v: 'pre a.b*c+d?e post' }, n: null })).toEqual({ list: ['X', 1], nested: { v: 'pre X post' }, n: null });
    expect(r.redact('aXbXcXdXe')).toBe('aXbXcXdXe');
  });

  test('with nothing registered it is the identity', () => {
    expect(new Redactor().redact('x')).toBe('x');
  });
});
