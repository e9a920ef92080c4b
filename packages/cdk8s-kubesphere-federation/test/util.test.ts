import { dnsLabelProblem, envVarNameProblem, labelKeyProblem, labelValueProblem, sortedKeys, suggestDnsLabel } from '../src/_util';

describe('_util', () => {
  test('sortedKeys: a copy in key order, whatever order the keys arrive in; undefined stays undefined', () => {
    const map = { 'zone': 'b', 'env': 'prod', 'a.example.com/tier': 'gold' };
    expect(Object.keys(sortedKeys(map))).toEqual(['a.example.com/tier', 'env', 'zone']);
    expect(sortedKeys(map)).toEqual(map);
    expect(Object.keys(map)).toEqual(['zone', 'env', 'a.example.com/tier']);
    expect(sortedKeys(undefined)).toBeUndefined();
  });

  test('DNS labels', () => {
    expect(dnsLabelProblem('edge-1')).toBeUndefined();
    expect(dnsLabelProblem('-edge')).toMatch(/DNS-1123 label/);
    expect(dnsLabelProblem('a'.repeat(64))).toMatch(/64 characters long, more than 63/);
    expect(suggestDnsLabel('My_Cluster!')).toBe('my-cluster');
    expect(suggestDnsLabel('___')).toBe('my-cluster');
  });

  test.each([
    [`${'a'.repeat(62)}-b`, 63], ['a'.repeat(61), 60], [`Edge_${'X'.repeat(70)}`, 60], ['r'.repeat(60), 2], ['___', 3],
  ])('suggestDnsLabel(%j, %d) is a valid label within the limit', (name, max) => {
    const suggestion = suggestDnsLabel(name, max);
    expect(dnsLabelProblem(suggestion, max)).toBeUndefined();
  });

  test('environment variable names as Kubernetes 1.27 validates them', () => {
    for (const ok of ['LOG_LEVEL', 'my.env-name', 'MyEnvName1', '_x', '-x', '.x']) expect(envVarNameProblem(ok)).toBeUndefined();
    expect(envVarNameProblem('')).toBe('it is empty');
    for (const bad of ['1ABC', 'A B', 'A=B', 'ÄRGER', 'a:b']) expect(envVarNameProblem(bad)).toMatch(/letters, digits, '_', '-' and '.' that do not start with a digit/);
    for (const bad of ['.', '..', '..x']) expect(envVarNameProblem(bad)).toMatch(/is "." or starts with ".."/);
  });

  test('labels', () => {
    expect(labelValueProblem('')).toBeUndefined();
    expect(labelValueProblem('a.b_c-d')).toBeUndefined();
    expect(labelValueProblem('a b')).toMatch(/letters, digits/);
    expect(labelKeyProblem('example.com/tier')).toBeUndefined();
    expect(labelKeyProblem('Example.com/tier')).toMatch(/prefix/);
    expect(labelKeyProblem('tier/')).toMatch(/name part/);
  });
});
