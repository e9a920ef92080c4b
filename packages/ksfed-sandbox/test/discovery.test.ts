import { http } from './helpers';
import { Sandbox } from '../src';
import { apiResourceList } from '../src/discovery';
import { ResourceTypes } from '../src/resource-types';

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('discovery', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['host'] });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  test('/version', async () => {
    const res = await http(sandbox, 'host', '/version');
    expect(res.body).toMatchObject({ major: '1', minor: '26', gitVersion: 'v1.26.15', platform: 'linux/amd64' });
  });

  test('/api and /apis answer plain JSON even when aggregated discovery is asked for first', async () => {
    const api = await http(sandbox, 'host', '/api', { headers: { accept: AGGREGATED } });
    expect(api.headers.get('content-type')).toBe('application/json');
    expect(api.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const apis = await http(sandbox, 'host', '/apis', { headers: { accept: AGGREGATED } });
    expect(apis.body.kind).toBe('APIGroupList');
    const names = apis.body.groups.map((g: any) => g.name);
    expect(names.slice(0, 9)).toEqual(['apps', 'batch', 'autoscaling', 'policy', 'rbac.authorization.k8s.io', 'networking.k8s.io',
      'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'coordination.k8s.io']);
    expect(names).toEqual(expect.arrayContaining(['cluster.kubesphere.io', 'installer.kubesphere.io', 'tenant.kubesphere.io', 'iam.kubesphere.io']));
    const tenant = apis.body.groups.find((g: any) => g.name === 'tenant.kubesphere.io');
    expect(tenant.versions.map((v: any) => v.groupVersion)).toEqual(['tenant.kubesphere.io/v1alpha2', 'tenant.kubesphere.io/v1alpha1']);
    expect(tenant.preferredVersion.version).toBe('v1alpha2');
    expect((await http(sandbox, 'host', '/apis/apps')).body).toMatchObject({ kind: 'APIGroup', name: 'apps', preferredVersion: { groupVersion: 'apps/v1' } });
  });

  test('APIResourceLists with name, singularName, namespaced, kind, verbs, shortNames; subresources after', async () => {
    const core = (await http(sandbox, 'host', '/api/v1')).body;
    expect(core).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    const cm = core.resources.find((r: any) => r.name === 'configmaps');
    expect(cm).toMatchObject({
      name: 'configmaps',
      singularName: 'configmap',
      namespaced: true,
      kind: 'ConfigMap',
      shortNames: ['cm'],
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    });
    const names = core.resources.map((r: any) => r.name);
    expect(names.indexOf('namespaces/status')).toBeGreaterThan(names.indexOf('namespaces'));
    const apps = (await http(sandbox, 'host', '/apis/apps/v1')).body;
    expect(apps.resources.find((r: any) => r.name === 'deployments')).toMatchObject({ categories: ['all'], shortNames: ['deploy'] });
    expect(apps.resources.find((r: any) => r.name === 'deployments/status').verbs).toEqual(['get', 'patch', 'update']);
    const cluster = (await http(sandbox, 'host', '/apis/cluster.kubesphere.io/v1alpha1')).body;
    expect(cluster.resources).toEqual([expect.objectContaining({ name: 'clusters', kind: 'Cluster', namespaced: false })]);
    // custom resources: the API server's verb order, and its hash (first 8 bytes of sha256 of group/version/kind, base64)
    expect(cluster.resources[0].verbs).toEqual(['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch']);
    expect(apiResourceList(new ResourceTypes(), 'apps', 'v1')!.resources.find((r: any) => r.name === 'deployments').storageVersionHash).toBe('8aSe+NMegvE=');
  });

  test('unknown groups and versions are 404; an unknown group\'s is plain text, as from the API server', async () => {
    const group = await http(sandbox, 'host', '/apis/nope.io/v1/namespaces/default/things');
    expect([group.status, group.headers.get('content-type'), group.text]).toEqual([404, 'text/plain; charset=utf-8', '404 page not found\n']);
    expect((await http(sandbox, 'host', '/apis/nope.io')).text).toBe('404 page not found\n');
    expect((await http(sandbox, 'host', '/apis/apps/v2/namespaces/default/deployments')).body).toMatchObject({ kind: 'Status', code: 404 });
    expect((await http(sandbox, 'host', '/api/v2')).status).toBe(404);
    expect(apiResourceList(new ResourceTypes(), 'apps', 'v1beta1')).toBeUndefined();
  });
});
