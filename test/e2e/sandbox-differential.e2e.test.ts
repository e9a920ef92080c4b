// The differential suite: the same requests go to the in-memory sandbox and to a real kube-apiserver v1.34.4, and
// their answers are compared (status codes, bodies, warnings) after `normalize` removed what is legitimately
// server-specific. Every difference left must be a known limit below (listed, with the real behaviour, in
// src/sandbox/README.md); every known limit must still be observed.
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart } from 'cdk8s';
import { FederationApp } from 'cdk8s-kubesphere-federation';
import { kubesphereCrds } from 'cdk8s-kubesphere-federation/lib/crds/kubesphere';
import { apply } from 'ksfed/lib/apply';
import { Sandbox } from 'ksfed-sandbox';
import { RealFleet } from 'ksfed-sandbox/lib/real-fleet';
import {
  Answer, classify, describe as describeDifference, Difference, KnownLimit, runSteps, Step, StepResult, target, Target, VersionTracker,
} from './differential';
import { quickstart } from '../../examples/quickstart/main';
import { FAST, seedJwtSecret, synth, tmpdir } from '../../packages/ksfed/test/fixtures';

jest.setTimeout(600_000);

const CLUSTERS = ['host', 'edge-1', 'branch-7'];
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const APPLY = 'application/apply-patch+yaml';
const NS = 'diff-edge';
const GROUP = 'diff.example.com';

/**
 * Differences found by this suite and fixed in the sandbox; each fix is pinned by a unit test in test/sandbox/
 * that fails without it. (They no longer differ, so the run cannot observe them: this list is their record.)
 */
const FIXED: { readonly what: string; readonly test: string }[] = [
  { what: 'SSA keys of container ports (containerPort+protocol, TCP default) and Service ports (port+protocol)', test: 'server-side-apply.test.ts: container ports are keyed..., Service ports are keyed...' },
  { what: 'lists the API declares atomic (RoleBinding subjects, CRD versions, ServiceAccount imagePullSecrets) were maps by name', test: 'list-types.test.ts: lists of named objects that the API declares atomic stay atomic' },
  { what: 'atomic maps (label and node selectors, env references, roleRef) were merged and owned field by field', test: 'server-side-apply.test.ts: selectors are atomic maps...' },
  { what: 'defaults of pod templates, Deployments, StatefulSets, DaemonSets, Services (IP families, node ports...), webhooks, CRDs', test: 'defaults.test.ts; admission.test.ts: workloads are stored with their defaults...' },
  { what: 'initial status: workloads with their zero counters, Services with status.loadBalancer, CRDs with their storage version', test: 'admission.test.ts, crds.test.ts: a new CRD is served only once Established' },
  { what: 'conflict causes carried `type` instead of `reason` (and ksfed read `type`, losing the fields a real server names)', test: 'server-side-apply.test.ts; applier/errors.test.ts: reads managers and fields...' },
  { what: 'marking an object with finalizers for deletion did not bump its generation', test: 'admission.test.ts: deleting an object with finalizers bumps its generation' },
  { what: 'an unknown API group answered a JSON Status instead of the plain-text 404', test: 'discovery.test.ts: unknown groups and versions are 404...' },
  { what: 'custom resource discovery: verb order and storageVersionHash encoding', test: 'discovery.test.ts: APIResourceLists with...' },
  { what: 'deletecollection answered a Status instead of the list of deleted objects', test: 'object-api.test.ts: deletecollection answers the list...' },
  { what: 'remainingItemCount was set on filtered pages', test: 'object-api.test.ts: deletecollection answers the list...; a filtered page...' },
  { what: 'an object no manager owns a field of kept `managedFields: []`', test: 'object-api.test.ts: an object no manager owns a field of has no managedFields at all' },
  { what: 'apply without fieldManager was 400 instead of 422 PatchOptions; kind mismatch message', test: 'server-side-apply.test.ts: apply requires a fieldManager and a matching kind...' },
  { what: 'finalizers: unqualified names accepted on built-in kinds (warning on CRs); new finalizers accepted while deleting', test: 'object-api.test.ts: finalizers: built-in kinds take only standard or qualified names...' },
  { what: 'a PUT of a custom resource without resourceVersion was accepted', test: 'object-api.test.ts: custom resources: a PUT needs the resourceVersion...' },
  { what: 'the update that releases the last finalizer answered a new resourceVersion', test: 'object-api.test.ts: finalizers: ... the release answers the old resourceVersion' },
  { what: 'strategic merge patch put new list items last instead of first', test: 'patches.test.ts: strategic merge patch orders a merged list as kube-apiserver v1.34 does' },
  { what: 'a failed JSON patch said why (the API server does not)', test: 'patches.test.ts: a failed JSON patch is the API server\'s terse 422' },
  { what: 'messages of preconditions, invalid names, label and field selectors, 415 for custom resources', test: 'object-api.test.ts: conflicts and invalid names are worded like the API server; selectors.test.ts' },
  { what: 'Update managers did not own the maps and associative lists they create (`.`)', test: 'managed-fields.test.ts: Update managers own the maps they create' },
  { what: 'maps below x-kubernetes-preserve-unknown-fields are owned with `.` (the quickstart\'s ClusterConfiguration)', test: 'managed-fields.test.ts: map types (as kube-apiserver v1.34 records them)' },
  { what: 'server-side apply of a field a CRD does not declare: pruned with a warning instead of the typed-patch 500', test: 'crds.test.ts: custom resources: apply...; kubectl.test.ts' },
  { what: 'a field set twice in a JSON body: not refused with Strict, not warned, not merged like Go', test: 'object-api.test.ts: a field set twice in a JSON body...; json.test.ts' },
  { what: 'a key set twice in a YAML apply body: refused instead of last-wins with a warning', test: 'server-side-apply.test.ts: a YAML key set twice...' },
  { what: 'deleting a custom resource answered the object instead of a Status', test: 'object-api.test.ts: custom resources: an unqualified finalizer is a warning; a delete answers a Status...' },
  { what: 'the Strict unknown-field error of a custom resource did not name the kind', test: 'object-api.test.ts: custom resources: ... Strict names the kind' },
  { what: 'deleting a CRD removed it at once instead of Terminating with the cleanup finalizer', test: 'crds.test.ts: deleting the CRD marks it Terminating...' },
  { what: 'custom resource lists lacked their empty `continue`', test: 'object-api.test.ts: custom resources: ... (a custom resource list always carries it)' },
  { what: 'managedFields entries kept their insertion order instead of the API server\'s sort', test: 'managed-fields.test.ts: entries are written in the API server\'s order...' },
];

/** Differences the sandbox keeps on purpose (known limits, also in src/sandbox/README.md). */
const KNOWN: KnownLimit[] = [
  {
    // (ksfed's preflight reads /version too, so the applier's own traffic has it on every cluster)
    step: /^(edge\/version|quickstart\/\w+\/[\w-]+\/GET \/version)$/,
    path: /^body\.(minor|gitVersion|gitCommit|buildDate|goVersion|emulationMajor|emulationMinor|minCompatibilityMajor|minCompatibilityMinor)$/,
    reason: 'the sandbox reports Kubernetes v1.26.15, the newest version KubeSphere 3.4 supports, and its own build fields; '
      + 'the real server is v1.34.4 (built here), which adds the emulation and compatibility versions',
  },
  {
    step: /^quickstart\/\w+\/[\w-]+\/GET \/api\/v1\/namespaces\/kube-system$/,
    path: /^body\.metadata\.managedFields\[0\]\.fieldsV1\.f:spec$/,
    reason: 'the namespaces every sandbox cluster starts with record spec.finalizers in kube-apiserver\'s managedFields entry; '
      + 'the real bootstrap controller\'s entry holds only the kubernetes.io/metadata.name label',
  },
  {
    step: /^edge\/strict\/unknown-builtin-field/,
    path: /.*/,
    reason: 'built-in kinds have no schemas in the sandbox: an undeclared field is kept (the real server drops it with the warning '
      + '`unknown field`, refuses it with fieldValidation=Strict, and fails a server-side apply with the typed-patch 500)',
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Corpus part 1: the applier's own traffic, recorded while ksfed applies the quickstart to a sandbox.

interface Recorded {
  /** Which apply of `recordQuickstart` sent it (1, 2 or 3). */
  readonly phase: number;
  readonly cluster: string;
  readonly method: string;
  readonly path: string;
  readonly contentType?: string;
  readonly body?: string;
}

/** The quickstart, plus (with `extra`) a ConfigMap on the host that a later apply prunes. */
function program(extra: boolean): (app: FederationApp) => void {
  return (app) => {
    quickstart(app);
    if (!extra) return;
    const host = app.node.findChild('host') as Chart;
    new ApiObject(host, 'Extra', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ksfed-extra', namespace: 'kube-federation-system' }, data: { b: '1' } });
  };
}

/**
 * ksfed applies the quickstart to a sandbox with KubeSphere emulated three times: with an extra ConfigMap, again
 * unchanged, then without it and `--prune`. Every request it sent (reads, writes, prune lists and deletes; not
 * watches), per cluster in order.
 */
async function recordQuickstart(): Promise<Recorded[]> {
  const withExtra = synth(program(true));
  const withoutExtra = synth(program(false));
  const sandbox = await Sandbox.start({
    clusters: CLUSTERS, kubesphere: true, recordBodies: true, establishDelayMs: 5, rolloutDelayMs: 5, kubesphereDelayMs: 5,
  });
  try {
    seedJwtSecret(sandbox, 'kQ7vR2mXz9LpA4sT8wYc3NbH6eJ1uFgD');
    const kubeconfig = path.join(tmpdir('ksfed-diff-'), 'sandbox.kubeconfig');
    fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml());
    const recorded: Recorded[] = [];
    const phases = [[withExtra, false], [withExtra, false], [withoutExtra, true]] as const;
    for (const [index, [dist, prune]] of phases.entries()) {
      for (const c of sandbox.clusters) c.clearRequests();
      const report = await apply(dist, { kubeconfig, prune, ...FAST });
      if (!report.success) throw new Error(`the quickstart did not apply to the sandbox: ${JSON.stringify(report.clusters.map((c) => c.status))}`);
      recorded.push(...sandbox.clusters.flatMap((c) => c.requests.filter((r) => r.query.watch === undefined).map((r) => ({
        phase: index + 1,
        cluster: c.name,
        method: r.method,
        path: r.path + (Object.keys(r.query).length ? `?${new URLSearchParams(r.query).toString()}` : ''),
        contentType: r.contentType,
        body: r.body,
      }))));
    }
    return recorded;
  } finally {
    await sandbox.stop();
  }
}

/** Groups the kinds of which (built-in or from KubeSphere's own CRDs installed by `setup`) need no waiting. */
const BUILTIN_GROUPS = new Set(['', 'apps', 'batch', 'rbac.authorization.k8s.io', 'apiextensions.k8s.io', 'admissionregistration.k8s.io',
  'networking.k8s.io', 'policy', 'autoscaling', 'coordination.k8s.io', 'installer.kubesphere.io', 'cluster.kubesphere.io',
  'tenant.kubesphere.io', 'iam.kubesphere.io']);

/** `/apis/<group>/<version>` of a path to a custom resource, or undefined. */
function customGroupVersion(p: string): string | undefined {
  // (a discovery GET of the group/version itself too: ksfed's waits look a kind up before they watch it)
  const m = /^\/apis\/([^/]+)\/([^/?]+)(\/|\?|$)/.exec(p);
  return m && !BUILTIN_GROUPS.has(m[1]) ? `/apis/${m[1]}/${m[2]}` : undefined;
}

/** A GET of the object a write addressed (its path without the query). */
function objectPath(p: string): string {
  return p.split('?')[0];
}

/**
 * The replay of the recorded traffic, in its order, waiting for a custom resource's group to be served first and
 * for a CRD that is read to be Established (ksfed waited for both). The `again` pass re-sends every write of the
 * first apply (which must change nothing). The admission webhook configurations are written last of all: on a real
 * server they would send every later KubeFed write to a webhook that no Pod serves (the sandbox has no webhooks).
 */
function replaySteps(recorded: Recorded[], pass: 'first' | 'again'): Step[] {
  const webhook = (r: Recorded) => r.path.includes('/admissionregistration.k8s.io/') && MUTATING.has(r.method);
  const ordered = pass === 'first' ? recorded.filter((r) => !webhook(r))
    : [...recorded.filter((r) => r.phase === 1 && r.method === 'PATCH' && !webhook(r)), ...recorded.filter(webhook)];
  // The CRDs each cluster was sent so far: a discovery GET of their group/version is compared once both servers
  // serve all of them (which of them a server lists a moment after their writes is each server's own timing).
  const crdsSoFar = new Map<string, { group: string; plural: string; versions: string[] }[]>();
  return ordered.map((r) => {
    const crdWrite = /^\/apis\/apiextensions\.k8s\.io\/v1\/customresourcedefinitions\/[^/?]+/.test(r.path);
    if (crdWrite && r.method === 'PATCH' && r.body) {
      const crd = JSON.parse(r.body);
      const versions = (crd.spec?.versions ?? []).filter((v: any) => v.served).map((v: any) => v.name);
      crdsSoFar.set(r.cluster, [...crdsSoFar.get(r.cluster) ?? [], { group: crd.spec?.group, plural: crd.spec?.names?.plural, versions }]);
    }
    const discovery = /^\/apis\/([^/]+)\/([^/?]+)$/.exec(objectPath(r.path));
    const plurals = discovery
      ? (crdsSoFar.get(r.cluster) ?? []).filter((c) => c.group === discovery[1] && c.versions.includes(discovery[2])).map((c) => c.plural)
      : [];
    const servesAll = (a: Answer) => a.status === 200 && plurals.every((pl) => (a.body?.resources ?? []).some((x: any) => x.name === pl));
    const gv = customGroupVersion(r.path);
    const crdRead = r.method === 'GET' && /\/customresourcedefinitions\/[^/?]+$/.test(objectPath(r.path));
    // (a list of CRDs is compared once every CRD in it is Established: how long that takes is each server's own)
    const crdList = r.method === 'GET' && objectPath(r.path).endsWith('/customresourcedefinitions');
    return {
      id: `quickstart/${pass}/${r.cluster}/${r.method} ${objectPath(r.path)}`,
      cluster: r.cluster,
      method: r.method as Step['method'],
      path: r.path,
      contentType: r.contentType,
      body: r.body,
      waitFor: crdRead ? { path: objectPath(r.path), until: established }
        : crdList ? { path: r.path, until: (a: Answer) => a.status === 200 && a.body.items.every((i: any) => established({ ...a, body: i })) }
          : discovery && gv ? { path: gv, until: servesAll }
            : gv ? { path: gv, until: (a: Answer) => a.status === 200 } : undefined,
    };
  });
}

/** GETs of every object the recorded writes addressed, once, after both passes. */
function readBackSteps(recorded: Recorded[]): Step[] {
  const seen = new Set<string>();
  const out: Step[] = [];
  for (const r of recorded.filter((x) => x.method === 'PATCH')) {
    const p = objectPath(r.path);
    if (seen.has(`${r.cluster} ${p}`)) continue;
    seen.add(`${r.cluster} ${p}`);
    out.push({ id: `quickstart/read/${r.cluster}/GET ${p}`, cluster: r.cluster, method: 'GET', path: p });
  }
  return out;
}

/** Discovery of the groups the quickstart's CRDs (and KubeSphere's) add to the host. */
function discoverySteps(): Step[] {
  const groups = ['types.kubefed.io/v1beta1', 'core.kubefed.io/v1beta1', 'scheduling.kubefed.io/v1alpha1', 'iam.kubesphere.io/v1alpha2',
    'tenant.kubesphere.io/v1alpha1', 'tenant.kubesphere.io/v1alpha2', 'cluster.kubesphere.io/v1alpha1', 'installer.kubesphere.io/v1alpha1'];
  return groups.flatMap((gv) => [
    { id: `discovery/host/${gv}`, method: 'GET' as const, path: `/apis/${gv}` },
    { id: `discovery/host/${gv.split('/')[0]}`, method: 'GET' as const, path: `/apis/${gv.split('/')[0]}` },
  ]);
}

/** What KubeSphere's installer leaves on every cluster before ksfed runs: its CRDs (ours) and its namespaces. */
function setupSteps(): Step[] {
  const steps: Step[] = [];
  for (const cluster of CLUSTERS) {
    for (const crd of kubesphereCrds()) {
      steps.push({
        id: `setup/${cluster}/crd ${crd.metadata.name}`,
        cluster,
        method: 'PATCH',
        contentType: APPLY,
        body: crd,
        path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=ks-installer`,
      });
    }
    for (const ns of ['kubesphere-system', 'kubesphere-controls-system']) {
      steps.push({
        id: `setup/${cluster}/namespace ${ns}`,
        cluster,
        method: 'PATCH',
        contentType: APPLY,
        path: `/api/v1/namespaces/${ns}?fieldManager=ks-installer`,
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubesphere.io/workspace': 'system-workspace' } } },
      });
    }
    for (const crd of kubesphereCrds()) {
      steps.push({
        id: `setup/${cluster}/established ${crd.metadata.name}`,
        cluster,
        method: 'GET',
        path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
        waitFor: { path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, until: established },
      });
    }
  }
  return steps;
}

function established(a: Answer): boolean {
  return a.status === 200 && (a.body?.status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True');
}

// ---------------------------------------------------------------------------------------------------------------
// Corpus part 2: edge cases (all on the host, in their own namespaces and group).

function applyStep(id: string, p: string, obj: unknown, query = 'fieldManager=diff'): Step {
  return { id, method: 'PATCH', path: `${p}?${query}`, contentType: APPLY, body: obj };
}

/** A ConfigMap in `namespace`; `extra` adds top-level fields, and metadata fields under `extra.metadata`. */
function cm(name: string, extra: Record<string, any> = {}, namespace = NS): any {
  const { metadata, ...rest } = extra;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...(metadata ?? {}) }, data: { a: '1' }, ...rest };
}

const CM = (name: string, namespace = NS) => `/api/v1/namespaces/${namespace}/configmaps/${name}`;
const DEPLOY = (name: string) => `/apis/apps/v1/namespaces/${NS}/deployments/${name}`;
const SVC = (name: string) => `/api/v1/namespaces/${NS}/services/${name}`;
const WIDGET = (name: string) => `/apis/${GROUP}/v1/namespaces/${NS}/widgets/${name}`;
const CRD_PATH = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${GROUP}`;

function web(extra: { image?: string; ports?: unknown[]; tolerations?: unknown[]; labels?: Record<string, string>; replicas?: number } = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      ...(extra.replicas !== undefined ? { replicas: extra.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{
            name: 'main',
            image: extra.image ?? 'nginx:1.25',
            command: ['sh', '-c', 'echo $(GREETING) $$(LITERAL)'],
            args: ['--name=$(POD_NAME)'],
            env: [
              { name: 'GREETING', value: 'hello' },
              { name: 'MESSAGE', value: '$(GREETING) world $$(ESCAPED) $(UNDEFINED)' },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
            ports: extra.ports ?? [{ name: 'http', containerPort: 80 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }],
            readinessProbe: { httpGet: { path: '/healthz', port: 80 } },
            volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
          }],
          volumes: [{ name: 'cache', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }],
          ...(extra.tolerations ? { tolerations: extra.tolerations } : {}),
        },
      },
    },
  };
}

function widgetCrd(): any {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', shortNames: ['wd'] },
      versions: [{
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'integer', minimum: 0, default: 1 },
                  color: { type: 'string', enum: ['red', 'blue'] },
                  endpoints: {
                    'type': 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['port', 'protocol'],
                    'items': {
                      type: 'object',
                      required: ['port', 'protocol'],
                      properties: { port: { type: 'integer' }, protocol: { type: 'string' }, name: { type: 'string' } },
                    },
                  },
                  tags: { 'type': 'array', 'x-kubernetes-list-type': 'set', 'items': { type: 'string' } },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      }],
    },
  };
}

function widget(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): any {
  return { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name, namespace: NS, ...(extra.metadata as object ?? {}) }, spec, ...(extra.status ? { status: extra.status } : {}) };
}

const mergePatch = (id: string, p: string, patch: unknown, query = ''): Step =>
  ({ id, method: 'PATCH', path: p + query, contentType: 'application/merge-patch+json', body: patch });

function edgeSteps(): Step[] {
  const gone = (a: Answer) => a.status === 404;
  return [
    { id: 'edge/version', method: 'GET', path: '/version' },
    // Missing namespaces and unserved kinds.
    { id: 'edge/missing-ns/list', method: 'GET', path: '/api/v1/namespaces/diff-missing/configmaps' },
    { id: 'edge/missing-ns/get-namespace', method: 'GET', path: '/api/v1/namespaces/diff-missing' },
    { id: 'edge/missing-ns/create', method: 'POST', path: '/api/v1/namespaces/diff-missing/configmaps', body: cm('x', {}, 'diff-missing') },
    applyStep('edge/missing-ns/apply', CM('x', 'diff-missing'), cm('x', {}, 'diff-missing')),
    { id: 'edge/unserved/group', method: 'GET', path: '/apis/nope.example.com/v1' },
    { id: 'edge/unserved/list', method: 'GET', path: '/apis/nope.example.com/v1/namespaces/default/things' },
    applyStep('edge/unserved/apply', '/apis/nope.example.com/v1/namespaces/default/things/t',
      { apiVersion: 'nope.example.com/v1', kind: 'Thing', metadata: { name: 't', namespace: 'default' } }),
    { id: 'edge/unserved/resource-in-served-group', method: 'GET', path: '/apis/apps/v1/namespaces/default/nothings' },
    { id: 'edge/unserved/version', method: 'GET', path: '/apis/apps/v2/namespaces/default/deployments' },
    applyStep('edge/namespace/create', `/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }),
    { id: 'edge/missing/get', method: 'GET', path: CM('absent') },
    { id: 'edge/missing/delete', method: 'DELETE', path: CM('absent') },

    // Defaulting of built-in kinds.
    applyStep('edge/default/deployment', DEPLOY('web'), web()),
    { id: 'edge/default/deployment-get', method: 'GET', path: DEPLOY('web') },
    applyStep('edge/default/service-clusterip', SVC('web'), {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
    }),
    applyStep('edge/default/service-loadbalancer', SVC('dns'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dns', namespace: NS },
      spec: { type: 'LoadBalancer', selector: { app: 'dns' }, ports: [{ name: 'dns-tcp', port: 53 }, { name: 'dns-udp', port: 53, protocol: 'UDP', targetPort: 5353 }] },
    }),
    applyStep('edge/default/service-externalname', SVC('ext'), {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: NS }, spec: { type: 'ExternalName', externalName: 'example.com' },
    }),
    {
      id: 'edge/default/secret-post',
      method: 'POST',
      path: `/api/v1/namespaces/${NS}/secrets`,
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: NS }, stringData: { password: 'x' } },
    },
    {
      id: 'edge/default/deployment-post',
      method: 'POST',
      path: `/apis/apps/v1/namespaces/${NS}/deployments`,
      body: { ...web({ labels: { tier: 'back' } }), metadata: { name: 'posted', namespace: NS, labels: { tier: 'back' } } },
    },
    {
      id: 'edge/default/deployment-post-dry-run',
      method: 'POST',
      path: `/apis/apps/v1/namespaces/${NS}/deployments?dryRun=All`,
      body: { ...web(), metadata: { name: 'dry-posted', namespace: NS } },
    },
    { id: 'edge/default/deployment-post-dry-run-get', method: 'GET', path: DEPLOY('dry-posted') },
    applyStep('edge/default/statefulset', `/apis/apps/v1/namespaces/${NS}/statefulsets/db`, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: NS },
      spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } } },
    }),

    // Server-side apply: list-maps keyed by more than one field, atomic lists and maps, conflicts, force, dry run.
    applyStep('edge/ssa/second-manager-adds-port', DEPLOY('web'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { template: { spec: { containers: [{ name: 'main', ports: [{ containerPort: 53, protocol: 'TCP', name: 'dns-tcp' }] }] } } },
    }, 'fieldManager=other'),
    applyStep('edge/ssa/port-key-defaults-protocol', DEPLOY('web'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { template: { spec: { containers: [{ name: 'main', ports: [{ containerPort: 80, name: 'web' }] }] } } },
    }, 'fieldManager=other'),
    applyStep('edge/ssa/force', DEPLOY('web'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { template: { spec: { containers: [{ name: 'main', ports: [{ containerPort: 80, name: 'web' }] }] } } },
    }, 'fieldManager=other&force=true'),
    applyStep('edge/ssa/first-manager-drops-udp-port', DEPLOY('web'), web({ ports: [{ name: 'http', containerPort: 80 }] })),
    applyStep('edge/ssa/tolerations-first', DEPLOY('web'), web({ ports: [{ name: 'http', containerPort: 80 }], tolerations: [{ key: 'a', operator: 'Exists' }] })),
    applyStep('edge/ssa/tolerations-atomic-conflict', DEPLOY('web'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } },
    }, 'fieldManager=other'),
    applyStep('edge/ssa/service-selector-atomic-conflict', SVC('web'), {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web', extra: 'x' } },
    }, 'fieldManager=other'),
    applyStep('edge/ssa/service-port-by-port-and-protocol', SVC('dns'), {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'dns', namespace: NS }, spec: { ports: [{ name: 'dns-udp', port: 53, protocol: 'UDP', targetPort: 5354 }] },
    }, 'fieldManager=other'),
    applyStep('edge/ssa/image-conflict', DEPLOY('web'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:1.26' }] } } },
    }, 'fieldManager=other'),
    applyStep('edge/ssa/dry-run', DEPLOY('web'), web({ image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }], tolerations: [{ key: 'a', operator: 'Exists' }] }),
      'fieldManager=diff&dryRun=All'),
    { id: 'edge/ssa/after-dry-run-and-conflicts', method: 'GET', path: DEPLOY('web') },
    applyStep('edge/ssa/dry-run-create', CM('dry'), cm('dry'), 'fieldManager=diff&dryRun=All'),
    { id: 'edge/ssa/dry-run-create-get', method: 'GET', path: CM('dry') },
    applyStep('edge/ssa/no-op', DEPLOY('web'), web({ ports: [{ name: 'http', containerPort: 80 }], tolerations: [{ key: 'a', operator: 'Exists' }] })),
    applyStep('edge/ssa/labels-keep-generation', DEPLOY('web'), web({ ports: [{ name: 'http', containerPort: 80 }], tolerations: [{ key: 'a', operator: 'Exists' }], labels: { tier: 'front' } })),
    applyStep('edge/ssa/spec-bumps-generation', DEPLOY('web'), web({ ports: [{ name: 'http', containerPort: 80 }], tolerations: [{ key: 'a', operator: 'Exists' }], labels: { tier: 'front' }, replicas: 3 })),
    applyStep('edge/ssa/no-field-manager', CM('nofm'), cm('nofm'), ''),
    applyStep('edge/ssa/kind-mismatch', CM('mismatch'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mismatch', namespace: NS } }),
    applyStep('edge/ssa/selector-immutable', DEPLOY('web'), {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS }, spec: { selector: { matchLabels: { app: 'other' } } },
    }, 'fieldManager=third'),

    // Strict field validation.
    applyStep('edge/strict/unknown-builtin-field', DEPLOY('strict'), { ...web(), metadata: { name: 'strict', namespace: NS }, spec: { ...web().spec, bogus: 1 } },
      'fieldManager=diff&fieldValidation=Strict'),
    { id: 'edge/strict/unknown-builtin-field-warn', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps`, body: { ...cm('warned'), bogus: true } },
    { id: 'edge/strict/unknown-builtin-field-ignore', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps?fieldValidation=Ignore`, body: { ...cm('ignored'), bogus: true } },
    applyStep('edge/strict/unknown-builtin-field-ignore-apply', DEPLOY('strict'), { ...web(), metadata: { name: 'strict', namespace: NS }, spec: { ...web().spec, bogus: 1 } },
      'fieldManager=diff&fieldValidation=Ignore'),
    {
      id: 'edge/strict/duplicate-json-field-warn',
      method: 'POST',
      path: `/api/v1/namespaces/${NS}/configmaps`,
      body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dupwarn","namespace":"${NS}"},"data":{"a":"1"},"data":{"b":"2"}}`,
    },
    {
      id: 'edge/strict/duplicate-json-field',
      method: 'POST',
      path: `/api/v1/namespaces/${NS}/configmaps?fieldValidation=Strict`,
      body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","namespace":"${NS}"},"data":{"a":"1"},"data":{"b":"2"}}`,
    },
    {
      id: 'edge/strict/duplicate-yaml-field-apply',
      method: 'PATCH',
      path: `${CM('dupyaml')}?fieldManager=diff&fieldValidation=Strict`,
      contentType: APPLY,
      body: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dupyaml\n  namespace: ${NS}\ndata:\n  a: "1"\n  a: "2"\n`,
    },

    {
      id: 'edge/strict/duplicate-yaml-field-apply-default',
      method: 'PATCH',
      path: `${CM('dupyaml')}?fieldManager=diff`,
      contentType: APPLY,
      body: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dupyaml\n  namespace: ${NS}\ndata:\n  a: "1"\n  a: "2"\n`,
    },

    // Finalizers on a built-in kind.
    applyStep('edge/finalizer/builtin-create', CM('held'), cm('held', { metadata: { finalizers: ['diff.example.com/hold'] } })),
    { id: 'edge/finalizer/builtin-delete', method: 'DELETE', path: CM('held') },
    { id: 'edge/finalizer/builtin-get-terminating', method: 'GET', path: CM('held') },
    mergePatch('edge/finalizer/builtin-add-while-deleting', CM('held'), { metadata: { finalizers: ['diff.example.com/hold', 'diff.example.com/more'] } }),
    mergePatch('edge/finalizer/builtin-release', CM('held'), { metadata: { finalizers: null } }),
    { id: 'edge/finalizer/builtin-gone', method: 'GET', path: CM('held') },
    applyStep('edge/finalizer/unqualified-name', CM('unqualified'), cm('unqualified', { metadata: { finalizers: ['hold'] } })),

    // CRD establishment, then custom resources.
    applyStep('edge/crd/create', CRD_PATH, widgetCrd()),
    { id: 'edge/crd/established', method: 'GET', path: CRD_PATH, waitFor: { path: CRD_PATH, until: established } },
    { id: 'edge/crd/discovery', method: 'GET', path: `/apis/${GROUP}/v1`, waitFor: { path: `/apis/${GROUP}/v1`, until: (a) => a.status === 200 } },
    { id: 'edge/crd/group', method: 'GET', path: `/apis/${GROUP}` },
    applyStep('edge/crd/invalid-name', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/wrong.${GROUP}`, { ...widgetCrd(), metadata: { name: `wrong.${GROUP}` } }),
    applyStep('edge/cr/create', WIDGET('w1'), widget('w1', { color: 'red', endpoints: [{ port: 80, protocol: 'TCP' }], tags: ['a'] }, { status: { phase: 'ignored' } })),
    applyStep('edge/cr/second-manager-list-map', WIDGET('w1'), widget('w1', { endpoints: [{ port: 80, protocol: 'UDP', name: 'u' }], tags: ['b'] }), 'fieldManager=other'),
    applyStep('edge/cr/list-map-conflict', WIDGET('w1'), widget('w1', { endpoints: [{ port: 80, protocol: 'TCP', name: 'x' }] }), 'fieldManager=third'),
    applyStep('edge/cr/invalid-enum', WIDGET('w2'), widget('w2', { color: 'green' })),
    applyStep('edge/cr/unknown-field-strict', WIDGET('w3'), widget('w3', { bogus: 1 }), 'fieldManager=diff&fieldValidation=Strict'),
    applyStep('edge/cr/unknown-field-warn', WIDGET('w3'), widget('w3', { bogus: 1 })),
    { id: 'edge/cr/status-put', method: 'PUT', path: `${WIDGET('w1')}/status`, body: widget('w1', {}, { status: { phase: 'Ready' } }) },
    mergePatch('edge/cr/status-patch', `${WIDGET('w1')}/status`, { status: { phase: 'Ready' } }),
    { id: 'edge/cr/status-get', method: 'GET', path: `${WIDGET('w1')}/status` },
    mergePatch('edge/cr/status-patch-leaves-spec', `${WIDGET('w1')}/status`, { spec: { size: 9 }, status: { phase: 'Done' } }),
    mergePatch('edge/cr/metadata-keeps-generation', WIDGET('w1'), { metadata: { labels: { x: 'y' } } }),
    mergePatch('edge/cr/spec-bumps-generation', WIDGET('w1'), { spec: { size: 5 } }),
    { id: 'edge/cr/strategic-merge', method: 'PATCH', path: WIDGET('w1'), contentType: 'application/strategic-merge-patch+json', body: { spec: { size: 6 } } },
    applyStep('edge/finalizer/custom-create', WIDGET('held'), widget('held', {}, { metadata: { finalizers: ['diff.example.com/hold'] } })),
    { id: 'edge/finalizer/custom-delete', method: 'DELETE', path: WIDGET('held') },
    mergePatch('edge/finalizer/custom-add-while-deleting', WIDGET('held'), { metadata: { finalizers: ['diff.example.com/hold', 'diff.example.com/more'] } }),
    mergePatch('edge/finalizer/custom-release', WIDGET('held'), { metadata: { finalizers: null } }),
    { id: 'edge/finalizer/custom-gone', method: 'GET', path: WIDGET('held') },
    applyStep('edge/finalizer/custom-unqualified-name', WIDGET('unqualified'), widget('unqualified', {}, { metadata: { finalizers: ['hold'] } })),
    { id: 'edge/cr/post-unknown-field', method: 'POST', path: `/apis/${GROUP}/v1/namespaces/${NS}/widgets`, body: widget('w3', { bogus: 1 }) },
    { id: 'edge/cr/post-unknown-field-strict', method: 'POST', path: `/apis/${GROUP}/v1/namespaces/${NS}/widgets?fieldValidation=Strict`, body: widget('w4', { bogus: 1 }) },
    { id: 'edge/cr/delete', method: 'DELETE', path: WIDGET('w3') },

    // Label and field selectors, collections.
    applyStep('edge/select/a', CM('sel-a'), cm('sel-a', { metadata: { labels: { tier: 'a', sel: 'yes' } } })),
    applyStep('edge/select/b', CM('sel-b'), cm('sel-b', { metadata: { labels: { tier: 'b', sel: 'yes' } } })),
    applyStep('edge/select/none', CM('sel-none'), cm('sel-none', { metadata: { labels: { sel: 'yes' } } })),
    { id: 'edge/select/in', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?labelSelector=${encodeURIComponent('tier in (a,b)')}` },
    { id: 'edge/select/not-exists', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?labelSelector=${encodeURIComponent('sel=yes,!tier')}` },
    { id: 'edge/select/not-equal', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?labelSelector=${encodeURIComponent('sel=yes,tier!=a')}` },
    { id: 'edge/select/invalid', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?labelSelector=${encodeURIComponent('tier in (')}` },
    { id: 'edge/select/field-name', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?fieldSelector=metadata.name%3Dsel-b` },
    { id: 'edge/select/field-unsupported', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?fieldSelector=data.a%3D1` },
    { id: 'edge/select/limit', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?labelSelector=sel%3Dyes&limit=2` },
    { id: 'edge/select/delete-collection', method: 'DELETE', path: `/api/v1/namespaces/${NS}/configmaps?labelSelector=tier` },
    { id: 'edge/select/after-delete-collection', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?labelSelector=sel%3Dyes` },

    // resourceVersion, preconditions, patches, names.
    { id: 'edge/rv/put-stale', method: 'PUT', path: CM('sel-none'), body: cm('sel-none', { metadata: { resourceVersion: '1', labels: { sel: 'yes' } } }) },
    { id: 'edge/rv/put-unconditional', method: 'PUT', path: CM('sel-none'), body: cm('sel-none', { data: { a: '2' } }) },
    { id: 'edge/rv/delete-precondition', method: 'DELETE', path: CM('sel-none'), body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: '00000000-0000-0000-0000-000000000000' } } },
    { id: 'edge/patch/json-test-fails', method: 'PATCH', path: CM('sel-none'), contentType: 'application/json-patch+json', body: [{ op: 'test', path: '/data/a', value: 'nope' }] },
    {
      id: 'edge/patch/strategic-containers',
      method: 'PATCH',
      path: DEPLOY('web'),
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { template: { spec: { containers: [{ name: 'side', image: 'busybox:1.36' }] } } } },
    },
    { id: 'edge/name/invalid', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps`, body: cm('Not_Valid') },

    // Namespace deletion: Terminating while an object keeps its finalizer, 403 for new content, then gone.
    applyStep('edge/ns-delete/create', '/api/v1/namespaces/diff-doomed', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'diff-doomed' } }),
    applyStep('edge/ns-delete/held', CM('held', 'diff-doomed'), cm('held', { metadata: { finalizers: ['diff.example.com/hold'] } }, 'diff-doomed')),
    { id: 'edge/ns-delete/delete', method: 'DELETE', path: '/api/v1/namespaces/diff-doomed' },
    { id: 'edge/ns-delete/create-in-terminating', method: 'POST', path: '/api/v1/namespaces/diff-doomed/configmaps', body: cm('late', {}, 'diff-doomed') },
    {
      id: 'edge/ns-delete/content-deleted',
      method: 'GET',
      path: CM('held', 'diff-doomed'),
      waitFor: { path: CM('held', 'diff-doomed'), until: (a) => a.body?.metadata?.deletionTimestamp !== undefined },
    },
    mergePatch('edge/ns-delete/release', CM('held', 'diff-doomed'), { metadata: { finalizers: null } }),
    { id: 'edge/ns-delete/gone', method: 'GET', path: '/api/v1/namespaces/diff-doomed', waitFor: { path: '/api/v1/namespaces/diff-doomed', until: gone } },

    // Deleting the CRD: its objects go with it (once none holds a finalizer).
    mergePatch('edge/crd/release-last-finalizer', WIDGET('unqualified'), { metadata: { finalizers: null } }),
    { id: 'edge/crd/delete', method: 'DELETE', path: CRD_PATH },
    { id: 'edge/crd/gone', method: 'GET', path: CRD_PATH, waitFor: { path: CRD_PATH, until: gone } },
    { id: 'edge/crd/objects-gone', method: 'GET', path: `/apis/${GROUP}/v1/namespaces/${NS}/widgets` },
  ];
}

// ---------------------------------------------------------------------------------------------------------------

describe('the sandbox against a real kube-apiserver v1.34.4', () => {
  let fleet: RealFleet;
  let sandbox: Sandbox;
  let real: Target;
  let emulated: Target;
  let results: StepResult[] = [];
  let differences: Difference[] = [];

  beforeAll(async () => {
    const recorded = await recordQuickstart();
    // KubeSphere is installed by the corpus (same requests on both); the emulated KubeSphere controllers stay off,
    // and so do workload readiness and load balancers: the real fleet has no nodes and no cloud provider.
    sandbox = await Sandbox.start({ clusters: CLUSTERS, kubesphere: false, readiness: false });
    fleet = await RealFleet.start({ clusters: CLUSTERS, kubesphere: false });
    real = target('real', Object.fromEntries(CLUSTERS.map((c) => {
      const e = fleet.endpoint(c);
      return [c, { url: e.server, token: e.token, ca: e.ca }];
    })));
    emulated = target('sandbox', Object.fromEntries(CLUSTERS.map((c) => [c, { url: sandbox.cluster(c).url, token: sandbox.cluster(c).token }])));
    const versions = new VersionTracker();
    const steps = [
      ...setupSteps(), ...replaySteps(recorded, 'first'), ...replaySteps(recorded, 'again'), ...readBackSteps(recorded), ...discoverySteps(), ...edgeSteps(),
    ];
    results = await runSteps(steps, real, emulated, 'host', versions);
    differences = results.flatMap((r) => r.differences);
  });

  afterAll(async () => {
    real?.close();
    emulated?.close();
    await Promise.all([fleet?.stop(), sandbox?.stop()]);
    const { expected, unexpected } = classify(differences, KNOWN);
    // eslint-disable-next-line no-console
    console.log(`differential: ${results.length} requests, ${FIXED.length + expected.size} differences found, `
      + `${FIXED.length} fixed in the sandbox, ${expected.size} known limits (${differences.length} field differences, ${unexpected.length} unexpected)`);
  });

  test('the corpus holds the applier\'s own traffic and the edge cases', () => {
    expect(results.filter((r) => r.step.id.startsWith('quickstart/')).length).toBeGreaterThan(150);
    expect(results.filter((r) => r.step.id.startsWith('edge/')).length).toBeGreaterThan(60);
  });

  test('every difference is a known limit, and every known limit is still observed', () => {
    const { unexpected, unused } = classify(differences, KNOWN);
    const file = path.join(tmpdir('ksfed-diff-'), 'differences.txt');
    fs.writeFileSync(file, differences.map((d) => describeDifference(d, 100_000)).join('\n'));
    // eslint-disable-next-line no-console
    console.log(`differential: every difference is in ${file}`);
    expect(unexpected.map((d) => describeDifference(d))).toEqual([]);
    expect(unused.map((k) => `${k.step} ${k.path}: ${k.reason}`)).toEqual([]);
  });
});
