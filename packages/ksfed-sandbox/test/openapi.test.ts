import { applyRaw, eventually, http, widgetCrd } from './helpers';
import { Sandbox } from '../src';
import { openApiDocument, openApiIndex } from '../src/openapi';
import { ResourceTypes } from '../src/resource-types';

describe('OpenAPI v3', () => {
  test('index: one entry per group/version with a hashed URL', () => {
    const idx = openApiIndex(new ResourceTypes());
    expect(Object.keys(idx.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/apiextensions.k8s.io/v1']));
    expect(idx.paths['apis/apps/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
  });

  test('every PATCH operation has the GVK extension and a fieldValidation query parameter (what kubectl checks)', () => {
    const doc = openApiDocument(new ResourceTypes(), 'apps/v1')!;
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters).toEqual(expect.arrayContaining([{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }]));
    expect(Object.keys(patch.requestBody.content)).toContain('application/apply-patch+yaml');
    const core = openApiDocument(new ResourceTypes(), 'v1')!;
    expect(core.paths['/api/v1/namespaces/{name}'].patch['x-kubernetes-group-version-kind'].kind).toBe('Namespace');
    expect(core.components.schemas['io.k8s.api.core.v1.ConfigMap']['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'ConfigMap' }]);
    expect(openApiDocument(new ResourceTypes(), 'nope/v1')).toBeUndefined();
  });

  test('served over HTTP; a new CRD changes the index hash and gets a document with its schema', async () => {
    const sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, establishDelayMs: 1 });
    try {
      const before = (await http(sandbox, 'c', '/openapi/v3')).body;
      expect(before.paths['apis/example.com/v1']).toBeUndefined();
      await applyRaw(sandbox, 'c', widgetCrd());
      const after = await eventually(async () => (await http(sandbox, 'c', '/openapi/v3')).body.paths['apis/example.com/v1'] && (await http(sandbox, 'c', '/openapi/v3')).body);
      const doc = (await http(sandbox, 'c', after.paths['apis/example.com/v1'].serverRelativeURL)).body;
      expect(doc.components.schemas['com.example.v1.Widget'].properties.spec.properties.color.enum).toEqual(['red', 'blue']);
      expect(doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/status'].patch).toBeDefined();
      expect((await http(sandbox, 'c', '/openapi/v2')).status).toBe(404);
    } finally {
      await sandbox.stop();
    }
  });
});
