import { FakeClient } from './fixtures';
import { APPLYSET_PART_OF_LABEL, KSFED_APPLYSET_ID, memberKey, PRUNE_ANNOTATION, stateOf } from '../../src/applier/applyset';
import { pruneCandidates } from '../../src/applier/prune';

const member = (apiVersion: string, kind: string, name: string, namespace?: string, annotations?: any) => ({
  apiVersion,
  kind,
  metadata: {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { [APPLYSET_PART_OF_LABEL]: KSFED_APPLYSET_ID },
    ...(annotations ? { annotations } : {}),
  },
});

describe('pruneCandidates', () => {
  test('members not in the new set, in deletion order; never-annotated ones protected; others untouched', async () => {
    // GIVEN live members of the ApplySet, an unlabelled object and one of another set
    const client = new FakeClient();
    client.put(member('v1', 'ConfigMap', 'keep', 'a'));
    client.put(member('v1', 'ConfigMap', 'stale', 'a'));
    client.put(member('v1', 'ConfigMap', 'stale-b', 'b'));
    client.put(member('v1', 'Namespace', 'b'));
    client.put(member('v1', 'Namespace', 'kube-federation-system', undefined, { [PRUNE_ANNOTATION]: 'never' }));
    client.put(member('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'olds.example.com'));
    client.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-ours', namespace: 'a' } });
    client.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-set', namespace: 'a', labels: { [APPLYSET_PART_OF_LABEL]: 'applyset-other-v1' } } });
    const recorded = stateOf([
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a' }, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'b' },
      { apiVersion: 'v1', kind: 'Namespace' }, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
    ]);
    const keep = new Set([memberKey({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'keep' })]);
    // WHEN
    const found = await pruneCandidates(client, recorded, keep);
    // THEN
    expect(found.candidates.map(c => `${c.kind} ${c.namespace ?? ''}/${c.name}`)).toEqual([
      'ConfigMap a/stale', 'ConfigMap b/stale-b', 'Namespace /b', 'CustomResourceDefinition /olds.example.com',
    ]);
    expect(found.protected.map(p => p.name)).toEqual(['kube-federation-system']);
    // lists by label, per namespace for namespaced kinds, once for cluster-scoped kinds
    expect(client.calls.filter(c => c.startsWith('list'))).toEqual(['list ConfigMap a', 'list ConfigMap b', 'list CustomResourceDefinition *', 'list Namespace *']);
  });

  test('kinds no longer served are skipped; kinds without a recorded version are reported', async () => {
    const client = new FakeClient();
    client.unserved.add('example.com/v1/Widget');
    const recorded = stateOf([{ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'a' }]);
    recorded.groupKinds.set('Gadget.example.com', '');
    const found = await pruneCandidates(client, recorded, new Set());
    expect(found.candidates).toEqual([]);
    expect(found.unknown).toEqual(['Gadget.example.com']);
  });
});
