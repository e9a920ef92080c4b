import * as fs from 'fs';
import {
  compareSchemas,
  crdIdentity,
  crdSchema,
  describeWithUpstream,
  loadUpstreamCrd,
  loadUpstreamDocs,
  structuralErrors,
  UPSTREAM_CRDS_DIR,
  validateAgainstCrd,
  validateAgainstSchema,
} from './schema';

/** A hand-written CRD exercising every feature of the validator. */
function testCrd(scope: 'Namespaced' | 'Cluster' = 'Namespaced'): any {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope,
      versions: [
        { name: 'v1alpha1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } },
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: {
                    size: { type: 'integer', format: 'int32', minimum: 1, maximum: 10 },
                    ratio: { type: 'number' },
                    enabled: { type: 'boolean' },
                    color: { type: 'string', enum: ['red', 'green'] },
                    op: { type: 'string', pattern: '^(add|remove|replace)?$' },
                    name: { type: 'string', minLength: 2, maxLength: 4 },
                    data: { type: 'string', format: 'byte' },
                    when: { type: 'string', format: 'date-time' },
                    mode: { type: 'string', default: 'fast' },
                    port: { 'x-kubernetes-int-or-string': true },
                    note: { type: 'string', nullable: true },
                    tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
                    set: { 'type': 'array', 'items': { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                    clusters: {
                      'type': 'array',
                      'items': { type: 'object', required: ['name'], properties: { name: { type: 'string' }, weight: { type: 'integer' } } },
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['name'],
                    },
                    weights: { type: 'object', additionalProperties: { type: 'object', properties: { weight: { type: 'integer' } } } },
                    free: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true, 'properties': { known: { type: 'boolean' } } },
                    anything: { 'x-kubernetes-preserve-unknown-fields': true },
                    closed: { type: 'object' },
                    either: { 'anyOf': [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
                    one: { type: 'string', oneOf: [{ pattern: '^a' }, { pattern: 'z$' }] },
                    embedded: {
                      'type': 'object',
                      'x-kubernetes-embedded-resource': true,
                      'properties': { spec: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

function widget(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'w1', namespace: 'default' }): any {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata, spec: { size: 3, ...spec } };
}

describe('validateAgainstCrd: version and root', () => {
  test('accepts a valid object', () => {
    expect(validateAgainstCrd(testCrd(), widget({ color: 'red', tags: ['a'] }))).toEqual([]);
  });

  test('rejects a foreign group, an unknown version and an unserved version', () => {
    expect(validateAgainstCrd(testCrd(), { ...widget({}), apiVersion: 'other.com/v1' })).toEqual([
      'apiVersion: group "other.com" of other.com/v1 is not the CRD group "example.com"',
    ]);
    expect(validateAgainstCrd(testCrd(), { ...widget({}), apiVersion: 'example.com/v2' })[0]).toMatch(/version "v2" is not defined/);
    expect(validateAgainstCrd(testCrd(), { ...widget({}), apiVersion: 'example.com/v1alpha1' })[0]).toMatch(/not served/);
    expect(validateAgainstCrd(testCrd(), { ...widget({}), apiVersion: undefined })).toEqual(['apiVersion: Required value']);
  });

  test('rejects a wrong kind and a non-object', () => {
    expect(validateAgainstCrd(testCrd(), { ...widget({}), kind: 'Gadget' })).toEqual(['kind: "Gadget" is not the CRD kind "Widget"']);
    expect(validateAgainstCrd(testCrd(), 'nope')).toEqual(['<root>: must be of type object, got string']);
    expect(validateAgainstCrd({ kind: 'ConfigMap' }, widget({}))).toEqual(['<crd>: not a CustomResourceDefinition']);
  });

  test('root required fields and unknown top-level fields', () => {
    const o = widget({});
    delete o.spec;
    o.extra = 1;
    expect(validateAgainstCrd(testCrd(), o)).toEqual(['extra: unknown field (pruned by the API server)', 'spec: Required value']);
    expect(validateAgainstCrd(testCrd(), o, { strict: false })).toEqual(['spec: Required value']);
  });

  test('ObjectMeta: name, labels, annotations, namespace, unknown fields, CRD name restriction', () => {
    expect(validateAgainstCrd(testCrd(), widget({}, {}))).toEqual(['metadata.name: Required value: name or generateName is required']);
    expect(validateAgainstCrd(testCrd(), widget({}, { generateName: 'w-' }))).toEqual([]);
    expect(validateAgainstCrd(testCrd(), widget({}, { name: 'Bad_Name' }))).toEqual([
      'metadata.name: "Bad_Name" is not a DNS-1123 subdomain',
    ]);
    expect(validateAgainstCrd(testCrd(), widget({}, { name: 'much-too-long-name' }))).toEqual([
      'metadata.name: "much-too-long-name" is longer than maxLength 10',
    ]);
    expect(validateAgainstCrd(testCrd(), widget({}, {
      name: 'w',
      labels: { 'ok': 'v', 'bad key!': 'v', 'a/b/c': 'v', 'x': 'not valid!', 'n': 1 },
      annotations: { 'example.com/note': 'any text at all!' },
      colour: 'blue',
    }))).toEqual([
      'metadata.labels[bad key!]: invalid key: name part "bad key!" must be 1-63 alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric',
      'metadata.labels[a/b/c]: invalid key: a qualified name has at most one "/"',
      'metadata.labels[x]: invalid label value "not valid!"',
      'metadata.labels[n]: must be of type string, got integer',
      'metadata.colour: unknown ObjectMeta field',
    ]);
    expect(validateAgainstCrd(testCrd(), { ...widget({}), metadata: undefined })).toEqual(['metadata: Required value']);
  });

  test('a namespace on a cluster-scoped object is reported in strict mode only', () => {
    const o = widget({}, { name: 'w', namespace: 'default' });
    expect(validateAgainstCrd(testCrd('Cluster'), o)).toEqual([
      'metadata.namespace: Widget is cluster-scoped: a namespace is ignored by the API server',
    ]);
    expect(validateAgainstCrd(testCrd('Cluster'), o, { strict: false })).toEqual([]);
    expect(validateAgainstCrd(testCrd('Namespaced'), o)).toEqual([]);
  });
});

describe('validateAgainstCrd: values', () => {
  const errs = (spec: Record<string, unknown>, strict = true) => validateAgainstCrd(testCrd(), widget(spec), { strict });

  test('types, with JSON paths', () => {
    expect(errs({ size: '3', ratio: 'x', enabled: 'yes', tags: 'a' })).toEqual([
      'spec.size: must be of type integer, got string ("3")',
      'spec.ratio: must be of type number, got string ("x")',
      'spec.enabled: must be of type boolean, got string ("yes")',
      'spec.tags: must be of type array, got string ("a")',
    ]);
    expect(errs({ size: 2.5 })).toEqual(['spec.size: must be of type integer, got number (2.5)']);
    expect(errs({ ratio: 2 })).toEqual([]); // an integer is a number
  });

  test('required, and a default satisfies required', () => {
    const o = widget({});
    delete o.spec.size;
    expect(validateAgainstCrd(testCrd(), o)).toEqual(['spec.size: Required value']);
    const crd = testCrd();
    crd.spec.versions[1].schema.openAPIV3Schema.properties.spec.required = ['mode'];
    expect(validateAgainstCrd(crd, o)).toEqual([]);
  });

  test('enum, pattern, minLength/maxLength (code points), minimum/maximum, int32 range, maxItems', () => {
    expect(errs({ color: 'blue' })).toEqual(['spec.color: "blue" is not one of ["red","green"]']);
    expect(errs({ op: 'patch' })).toEqual(['spec.op: "patch" does not match pattern ^(add|remove|replace)?$']);
    expect(errs({ op: '' })).toEqual([]);
    expect(errs({ name: 'a' })).toEqual(['spec.name: "a" is shorter than minLength 2']);
    expect(errs({ name: 'abcde' })).toEqual(['spec.name: "abcde" is longer than maxLength 4']);
    expect(errs({ name: '😀😀😀😀' })).toEqual([]);
    expect(errs({ size: 0 })).toEqual(['spec.size: 0 is less than minimum 1']);
    expect(errs({ size: 11 })).toEqual(['spec.size: 11 is greater than maximum 10']);
    const crd = testCrd();
    delete crd.spec.versions[1].schema.openAPIV3Schema.properties.spec.properties.size.maximum;
    expect(validateAgainstCrd(crd, widget({ size: 2 ** 31 }))).toEqual(['spec.size: 2147483648 is out of range for int32']);
    expect(errs({ tags: ['a', 'b', 'c', 'd'] })).toEqual(['spec.tags: has 4 items, more than maxItems 3']);
  });

  test('formats: byte (base64) and date-time', () => {
    expect(errs({ data: Buffer.from('apiVersion: v1\nkind: Config\n').toString('base64') })).toEqual([]);
    expect(errs({ data: 'YWJj\nZGVm' })).toEqual([]); // line breaks are ignored, as by Go's decoder
    expect(errs({ data: 'apiVersion: v1' })).toEqual(['spec.data: "apiVersion: v1" is not valid base64 (format byte)']);
    expect(errs({ data: 'YWJjZA' })).toEqual(['spec.data: "YWJjZA" is not valid base64 (format byte)']); // padding required
    expect(errs({ when: '2024-01-02T03:04:05Z' })).toEqual([]);
    expect(errs({ when: '2024-01-02T03:04:05.123+02:00' })).toEqual([]);
    expect(errs({ when: 'yesterday' })).toEqual(['spec.when: "yesterday" is not an RFC 3339 date-time']);
  });

  test('int-or-string, anyOf and oneOf', () => {
    expect(errs({ port: 80 })).toEqual([]);
    expect(errs({ port: 'http' })).toEqual([]);
    expect(errs({ port: true })).toEqual(['spec.port: must be an integer or a string, got boolean (true)']);
    expect(errs({ port: 1.5 })).toEqual(['spec.port: must be an integer or a string, got number (1.5)']);
    expect(errs({ either: 'x' })).toEqual([]);
    expect(errs({ one: 'abc' })).toEqual([]);
    expect(errs({ one: 'abz' })).toEqual(['spec.one: "abz" matches 2 of oneOf (exactly 1 required)']);
    expect(errs({ one: 'bcd' })).toEqual(['spec.one: "bcd" matches 0 of oneOf (exactly 1 required)']);
  });

  test('nullable, and nulls the API server prunes', () => {
    expect(errs({ note: null })).toEqual([]);
    expect(errs({ color: null })).toEqual(['spec.color: null is dropped by the API server (field is not nullable)']);
    expect(errs({ color: null }, false)).toEqual([]);
    expect(errs({ tags: [null] })).toEqual(['spec.tags[0]: must be of type string, got null']);
    const o = widget({});
    o.spec = null;
    expect(validateAgainstCrd(testCrd(), o)).toEqual([
      'spec: null is dropped by the API server (field is not nullable)',
      'spec: Required value',
    ]);
  });

  test('items and additionalProperties maps report element paths', () => {
    expect(errs({ tags: ['a', 2] })).toEqual(['spec.tags[1]: must be of type string, got integer (2)']);
    expect(errs({ weights: { 'edge-1': { weight: 1 }, 'edge-2': { weight: 'x', extra: 1 } } })).toEqual([
      'spec.weights[edge-2].weight: must be of type integer, got string ("x")',
      'spec.weights[edge-2].extra: unknown field (pruned by the API server)',
    ]);
  });

  test('list-type map and set reject duplicates', () => {
    expect(errs({ clusters: [{ name: 'a' }, { name: 'b', weight: 1 }] })).toEqual([]);
    expect(errs({ clusters: [{ name: 'a' }, { name: 'a', weight: 1 }] })).toEqual(['spec.clusters[1]: Duplicate value: {"name":"a"}']);
    expect(errs({ clusters: [{ weight: 1 }] })).toEqual(['spec.clusters[0].name: Required value']);
    expect(errs({ set: ['x', 'y', 'x'] })).toEqual(['spec.set[2]: Duplicate value: "x"']);
  });

  test('preserve-unknown-fields keeps unknown fields but still checks declared ones', () => {
    expect(errs({ free: { known: true, whatever: { deep: [1, 'x'] } }, anything: [1, { a: null }] })).toEqual([]);
    expect(errs({ anything: 'scalar' })).toEqual([]);
    expect(errs({ free: { known: 'yes' } })).toEqual(['spec.free.known: must be of type boolean, got string ("yes")']);
    expect(errs({ closed: { a: 1 } })).toEqual(['spec.closed.a: unknown field (pruned by the API server)']);
    expect(errs({ closed: { a: 1 } }, false)).toEqual([]);
  });

  test('embedded resources need apiVersion and kind, and keep metadata', () => {
    expect(errs({ embedded: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { a: 'b' } }, spec: { z: 1 } } })).toEqual([]);
    expect(errs({ embedded: { metadata: { labels: { a: 1 } } } })).toEqual([
      'spec.embedded.metadata.labels[a]: must be of type string, got integer',
      'spec.embedded.apiVersion: Required value (embedded resource)',
      'spec.embedded.kind: Required value (embedded resource)',
    ]);
  });

  test('validateAgainstSchema works on a bare schema node', () => {
    expect(validateAgainstSchema({ type: 'string', pattern: '^a' }, 'b', { path: 'x' })).toEqual(['x: "b" does not match pattern ^a']);
    expect(validateAgainstSchema({ type: 'string' }, undefined)).toEqual(['<root>: Required value']);
    expect(validateAgainstSchema({ type: 'object' }, { a: 1 }, { strict: false })).toEqual([]);
  });

  test('plain JSON Schema: const, $ref to the schema\'s own $defs (with keywords beside it), closed oneOf branches', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      properties: {
        v: { const: 'x/v1' },
        name: { $ref: '#/$defs/name', maxLength: 3 },
        shape: { oneOf: [{ $ref: '#/$defs/circle' }, { $ref: '#/$defs/square' }] },
      },
      $defs: {
        name: { type: 'string', pattern: '^[a-z]+$' },
        circle: { type: 'object', required: ['kind', 'r'], additionalProperties: false, properties: { kind: { const: 'circle' }, r: { type: 'integer' } } },
        square: { type: 'object', required: ['kind', 'side'], additionalProperties: false, properties: { kind: { const: 'square' }, side: { type: 'integer' } } },
      },
    };
    // strict: false: JSON Schema semantics, an object schema without properties takes any field
    const check = (value: unknown) => validateAgainstSchema(schema, value, { strict: false });
    expect(check({ v: 'x/v1', name: 'abc', shape: { kind: 'circle', r: 1 } })).toEqual([]);
    expect(check({ v: 'x/v2' })).toEqual(['v: "x/v2" is not "x/v1"']);
    expect(check({ name: 'AB' })).toEqual(['name: "AB" does not match pattern ^[a-z]+$']);
    expect(check({ name: 'abcd' })).toEqual(['name: "abcd" is longer than maxLength 3']);
    expect(check({ shape: { kind: 'circle', side: 1 } })).toEqual(['shape: {"kind":"circle","side":1} matches 0 of oneOf (exactly 1 required)']);
    expect(check({ extra: 1 })).toEqual(['extra: field not allowed (additionalProperties: false)']);
    expect(() => validateAgainstSchema({ $ref: '#/$defs/none' }, 1)).toThrow(/\$ref #\/\$defs\/none: no such schema/);
    expect(() => validateAgainstSchema({ $ref: 'other.json#/x' }, 1)).toThrow(/only references inside the schema/);
  });
});

describe('structuralErrors', () => {
  test('accepts a structural CRD', () => {
    expect(structuralErrors(testCrd())).toEqual([]);
  });

  test('reports broken structural rules', () => {
    const crd = testCrd();
    const spec = crd.spec.versions[1].schema.openAPIV3Schema.properties.spec;
    spec.properties.untyped = { description: 'no type' };
    spec.properties.both = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } };
    spec.properties.noItems = { type: 'array' };
    spec.properties.badMap = { 'type': 'array', 'items': { type: 'object', properties: { k: { type: 'string' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'] };
    spec.properties.closed2 = { type: 'object', additionalProperties: false };
    spec.properties.pf = { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': false };
    spec.properties.ios = { 'type': 'string', 'x-kubernetes-int-or-string': true };
    spec.required = ['size', 'ghost'];
    crd.spec.versions[1].schema.openAPIV3Schema.properties.metadata = { type: 'object', properties: { labels: { type: 'object' } } };
    crd.spec.versions[0].storage = true;
    crd.metadata.name = 'widgets';
    crd.spec.versions[1].additionalPrinterColumns = [{ name: 'X', type: 'text', jsonPath: 'spec.x' }];
    const p = 'spec.versions[1].schema.openAPIV3Schema: ';
    expect(structuralErrors(crd)).toEqual([
      'metadata.name: must be <plural>.<group> = widgets.example.com, got widgets',
      'spec.versions: exactly one version must be the storage version',
      `${p}metadata: at the root only type object and name/generateName restrictions are allowed`,
      `${p}spec: required field "ghost" is not declared`,
      `${p}spec.untyped: type is required (or x-kubernetes-preserve-unknown-fields / x-kubernetes-int-or-string)`,
      `${p}spec.both: properties and additionalProperties are mutually exclusive`,
      `${p}spec.noItems: arrays must declare items`,
      `${p}spec.badMap: list-map key "k" must be required or defaulted`,
      `${p}spec.closed2: additionalProperties: false is not allowed`,
      `${p}spec.pf: x-kubernetes-preserve-unknown-fields must be true or absent`,
      `${p}spec.ios: x-kubernetes-int-or-string forbids a type`,
      'spec.versions[1].additionalPrinterColumns[0].type: "text" is not a printer column type',
      'spec.versions[1].additionalPrinterColumns[0].jsonPath: must start with "."',
    ]);
  });

  test('rejects a non-CRD and a non-object root', () => {
    expect(structuralErrors({ apiVersion: 'v1', kind: 'ConfigMap' })).toEqual(['<crd>: not an apiextensions.k8s.io/v1 CustomResourceDefinition']);
    const crd = testCrd();
    crd.spec.versions[1].schema.openAPIV3Schema = { type: 'string' };
    expect(structuralErrors(crd)).toContain('spec.versions[1].schema.openAPIV3Schema: <root>: the root schema must be of type object');
  });
});

describe('crdIdentity and compareSchemas', () => {
  test('crdIdentity applies the API server defaults for singular and listKind', () => {
    const id = crdIdentity(testCrd());
    expect(id).toMatchObject({ name: 'widgets.example.com', kind: 'Widget', singular: 'widget', listKind: 'WidgetList', shortNames: [], categories: [] });
    expect(id.versions[1]).toEqual({
      name: 'v1', served: true, storage: true, statusSubresource: false, scaleSubresource: false, rootRequired: ['spec'], specRequired: ['size'],
    });
    expect(crdSchema(testCrd(), 'v1').required).toEqual(['spec']);
    expect(crdSchema(testCrd()).type).toBe('object');
  });

  test('apiVersion, kind and metadata need no upstream declaration at the root', () => {
    const ours = { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object' } } };
    expect(compareSchemas(ours, { type: 'object', properties: { spec: { type: 'object' } } })).toEqual([]);
    expect(compareSchemas({ type: 'object', properties: { x: ours } }, { type: 'object', properties: { x: { type: 'object' } } })).toEqual([
      'x.apiVersion: not declared upstream',
      'x.kind: not declared upstream',
      'x.metadata: not declared upstream',
      'x.spec: not declared upstream',
    ]);
  });

  test('a subset with the same types is compatible', () => {
    const theirs = crdSchema(testCrd(), 'v1');
    const ours = { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' }, free: { type: 'object', properties: { x: { type: 'string' } } } } } } };
    expect(compareSchemas(ours, theirs)).toEqual([]);
  });

  test('reports undeclared properties, type changes and every added constraint', () => {
    const theirs = crdSchema(testCrd(), 'v1');
    const ours = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          required: ['size', 'color'],
          properties: {
            size: { type: 'string' },
            color: { type: 'string', enum: ['red'] },
            name: { type: 'string', pattern: '^x', maxLength: 3 },
            tags: { 'type': 'array', 'items': { type: 'string' }, 'x-kubernetes-list-type': 'set' },
            when: { type: 'string', format: 'date' },
            note: { type: 'string' },
            ghost: { type: 'string' },
            weights: { type: 'object', additionalProperties: { type: 'object', properties: { weight: { type: 'boolean' } } } },
            closed: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
    };
    expect(compareSchemas(ours, theirs).sort()).toEqual([
      'spec.closed: map values (upstream: no values kept)',
      'spec.color: enum ["red"] (upstream: ["red","green"])',
      'spec.color: required (upstream: optional)',
      'spec.ghost: not declared upstream',
      'spec.name: maxLength 3 (upstream: 4)',
      'spec.name: pattern ^x (upstream: none)',
      'spec.note: not nullable (upstream: nullable)',
      'spec.size: type string (upstream: integer)',
      'spec.tags: x-kubernetes-list-type set (upstream: none)',
      'spec.weights[*].weight: type boolean (upstream: integer)',
      'spec.when: format date (upstream: date-time)',
    ]);
  });
});

describeWithUpstream('upstream reference CRDs', () => {
  test('loadUpstreamCrd / loadUpstreamDocs read the shared folder', () => {
    expect(fs.existsSync(UPSTREAM_CRDS_DIR)).toBe(true);
    expect(loadUpstreamCrd('clusters.cluster.kubesphere.io.yaml')?.metadata?.name).toBe('clusters.cluster.kubesphere.io');
    expect(loadUpstreamCrd('alt-kubesphere-repo-v3.4.1/cluster.kubesphere.io_clusters.yaml')?.spec?.group).toBe('cluster.kubesphere.io');
    expect(loadUpstreamDocs('_federatedtypeconfigs.ks-v3.4.1.yaml')).toHaveLength(28);
    expect(loadUpstreamCrd('no-such-file.yaml')).toBeUndefined();
  });

  test('every upstream CRD passes our structural checks', () => {
    const files = fs.readdirSync(UPSTREAM_CRDS_DIR).filter(f => f.endsWith('.yaml') && !f.startsWith('_'));
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) {
      expect([f, structuralErrors(loadUpstreamCrd(f))]).toEqual([f, []]);
    }
  });

  test('the upstream schemas accept and reject what the API server would', () => {
    const cluster = loadUpstreamCrd('clusters.cluster.kubesphere.io.yaml');
    const ok = {
      apiVersion: 'cluster.kubesphere.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'edge-1' },
      spec: { joinFederation: true, connection: { type: 'direct', kubeconfig: Buffer.from('kubeconfig').toString('base64') } },
    };
    expect(validateAgainstCrd(cluster, ok)).toEqual([]);
    expect(validateAgainstCrd(cluster, { ...ok, spec: { connection: { kubeconfig: 'not base64!', kubernetesAPIServerPort: '6443' } } })).toEqual([
      'spec.connection.kubeconfig: "not base64!" is not valid base64 (format byte)',
      'spec.connection.kubernetesAPIServerPort: must be of type integer, got string ("6443")',
    ]);
    const user = loadUpstreamCrd('users.iam.kubesphere.io.yaml');
    const u = (password: string) => ({ apiVersion: 'iam.kubesphere.io/v1alpha2', kind: 'User', metadata: { name: 'alice' }, spec: { email: 'a@example.com', password } });
    expect(validateAgainstCrd(user, u('Passw0rdX'))).toEqual([]);
    expect(validateAgainstCrd(user, u('password1'))[0]).toMatch(/^spec\.password: "password1" does not match pattern/);
    const wt = loadUpstreamCrd('workspacetemplates.tenant.kubesphere.io.yaml');
    expect(validateAgainstCrd(wt, { apiVersion: 'tenant.kubesphere.io/v1alpha2', kind: 'WorkspaceTemplate', metadata: { name: 'shop' }, spec: {} })).toEqual([
      'spec.placement: Required value',
      'spec.template: Required value',
    ]);
  });
});
