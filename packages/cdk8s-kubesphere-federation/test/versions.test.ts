import { Versions } from '../src';

describe('Versions', () => {
  test('pinned images match the pinned versions', () => {
    expect(Versions.KUBEFED_IMAGE).toBe(`kubesphere/kubefed:${Versions.KUBEFED}`);
    expect(Versions.TOWER_IMAGE).toBe(`kubesphere/tower:${Versions.TOWER}`);
    expect([Versions.KUBESPHERE, Versions.KUBEFED, Versions.TOWER]).toEqual(['v3.4.1', 'v0.8.1', 'v0.2.1']);
  });

  test('registry prefix', () => {
    expect(Versions.image('kubesphere/tower:v0.2.1')).toBe('kubesphere/tower:v0.2.1');
    expect(Versions.image('kubesphere/tower:v0.2.1', 'registry.local:5000/')).toBe('registry.local:5000/kubesphere/tower:v0.2.1');
  });
});
