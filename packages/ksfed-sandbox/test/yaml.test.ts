import { parseJsonOrYaml, toYaml } from '../src/yaml';

describe('yaml', () => {
  test('parses JSON and YAML bodies', () => {
    expect(parseJsonOrYaml('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonOrYaml('a: 1\nb:\n  - x\n')).toEqual({ a: 1, b: ['x'] });
    expect(parseJsonOrYaml('{a: 1}')).toEqual({ a: 1 });
  });

  test('toYaml round-trips', () => {
    const v = { apiVersion: 'v1', list: [{ 'name': 'x', 'insecure-skip-tls-verify': true }] };
    expect(parseJsonOrYaml(toYaml(v))).toEqual(v);
  });
});
