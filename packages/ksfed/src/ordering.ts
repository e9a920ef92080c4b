import { APPLY_PHASES } from 'cdk8s-kubesphere-federation/lib/contract/federation-json';
import { builtinKind, readinessOf } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import { UsageError } from './errors';
import { FederationCluster, FederationObject, groupOf } from './federation';

/** The apply phases, in order (the same list federation.json carries). */
export const DEFAULT_PHASES: string[] = [...APPLY_PHASES];

/**
 * The clusters to apply and the clusters of the run whose state each one reads. `dependsOn` (from
 * federation.json: the clusters whose state fills this cluster's placeholders) is kept only for clusters in the
 * run; a cluster outside `--only` is assumed applied already. Every cluster still starts at once (a member waits
 * inside its run for the objects it reads); this checks that the clusters do not depend on each other in a cycle,
 * and throws a UsageError when they do.
 */
export function clusterOrder(clusters: FederationCluster[], selected: string[]): { name: string; waitsFor: string[] }[] {
  const inRun = new Set(selected);
  const byName = new Map(clusters.map(c => [c.name, c]));
  const out = selected.map(name => ({ name, waitsFor: (byName.get(name)?.dependsOn ?? []).filter(d => d !== name && inRun.has(d)) }));
  // Detect cycles with a depth-first search.
  const state = new Map<string, 'visiting' | 'done'>();
  const edges = new Map(out.map(o => [o.name, o.waitsFor]));
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new UsageError(`clusters depend on each other in a cycle: ${[...trail.slice(trail.indexOf(name)), name].join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const d of edges.get(name) ?? []) visit(d, [...trail, name]);
    state.set(name, 'done');
  };
  for (const o of out) visit(o.name, []);
  return out;
}

/**
 * A cluster's objects grouped by phase, in phase order and, inside a phase, in file order. Objects of one group
 * are independent and may be applied in parallel.
 */
export function phaseGroups(objects: FederationObject[], phases: string[] = DEFAULT_PHASES): { phase: string; objects: FederationObject[] }[] {
  const order = [...phases];
  for (const o of objects) if (!order.includes(o.phase)) order.push(o.phase);
  const groups = order.map(phase => ({ phase, objects: objects.filter(o => o.phase === phase) })).filter(g => g.objects.length > 0);
  for (const g of groups) g.objects.sort((a, b) => a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  return groups;
}

/** The delay before poll number `n` (0-based): quick at first, doubling from 25 ms up to `interval`. */
export function pollDelay(n: number, interval: number): number {
  return Math.min(interval, 25 * 2 ** Math.min(n, 16));
}

/** What an object waits for before it is applied: `on` applied (and ready, when `on` has a readiness check). */
export interface ObjectDependency {
  readonly on: FederationObject;
  /** Why, for messages: `namespace`, `crd`, `webhook`, `webhook-backend`, `pod-reference`, `phase`. */
  readonly why: string;
}

const WEBHOOK_KINDS = ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'];

/** Whether `o` is a workload whose rollout ksfed waits for (Deployment, StatefulSet, DaemonSet). */
function isWorkload(o: FederationObject): boolean {
  return readinessOf(o.apiVersion, o.kind) === 'rollout';
}

/**
 * The resource name a kind is served under: the plural of its CRD in the folder, else the table of kinds' for a
 * built-in kind, else the usual English plural.
 */
function pluralOf(o: FederationObject, crd: FederationObject | undefined): string {
  const plural = crd?.manifest?.spec?.names?.plural ?? builtinKind(o.apiVersion, o.kind)?.plural;
  if (typeof plural === 'string') return plural;
  const k = o.kind.toLowerCase();
  if (/(s|x|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** Whether an admission rule intercepts creating or updating `o`. */
function ruleMatches(rule: any, group: string, plural: string): boolean {
  const groups: string[] = Array.isArray(rule?.apiGroups) ? rule.apiGroups : [];
  const resources: string[] = Array.isArray(rule?.resources) ? rule.resources : [];
  const operations: string[] = Array.isArray(rule?.operations) ? rule.operations : ['*'];
  return (groups.includes('*') || groups.includes(group))
    && (resources.includes('*') || resources.includes(plural) || resources.includes(`${plural}/*`))
    && (operations.includes('*') || operations.includes('CREATE') || operations.includes('UPDATE'));
}

/** Names of the ServiceAccount, ConfigMaps and Secrets a pod template refers to. */
function podReferences(template: any): { kind: string; name: string }[] {
  const spec = template?.spec ?? {};
  const out: { kind: string; name: string }[] = [];
  if (typeof spec.serviceAccountName === 'string') out.push({ kind: 'ServiceAccount', name: spec.serviceAccountName });
  for (const s of spec.imagePullSecrets ?? []) if (s?.name) out.push({ kind: 'Secret', name: s.name });
  const volumes: any[] = spec.volumes ?? [];
  for (const v of volumes) {
    if (v?.configMap?.name) out.push({ kind: 'ConfigMap', name: v.configMap.name });
    if (v?.secret?.secretName) out.push({ kind: 'Secret', name: v.secret.secretName });
    for (const p of v?.projected?.sources ?? []) {
      if (p?.configMap?.name) out.push({ kind: 'ConfigMap', name: p.configMap.name });
      if (p?.secret?.name) out.push({ kind: 'Secret', name: p.secret.name });
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const f of c?.envFrom ?? []) {
      if (f?.configMapRef?.name) out.push({ kind: 'ConfigMap', name: f.configMapRef.name });
      if (f?.secretRef?.name) out.push({ kind: 'Secret', name: f.secretRef.name });
    }
    for (const e of c?.env ?? []) {
      if (e?.valueFrom?.configMapKeyRef?.name) out.push({ kind: 'ConfigMap', name: e.valueFrom.configMapKeyRef.name });
      if (e?.valueFrom?.secretKeyRef?.name) out.push({ kind: 'Secret', name: e.valueFrom.secretKeyRef.name });
    }
  }
  return out;
}

function selects(selector: { [k: string]: string } | undefined, labels: { [k: string]: string } | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

/**
 * What each object of a cluster's folder must wait for, from the objects themselves rather than from the phase
 * lists, so that only real dependencies serialize work:
 * - a namespaced object waits for its Namespace (when the folder holds it);
 * - a custom resource waits for its CRD (when the folder holds it) to be Established;
 * - a workload waits for the ServiceAccount, ConfigMaps and Secrets of the folder its pods refer to;
 * - a webhook configuration waits for the Service it calls and the rollout of the workloads behind it (all
 *   workloads of the Service's namespace when none matches its selector);
 * - an object of a later phase than a webhook configuration of the folder whose rules intercept it waits for
 *   that webhook configuration (and so for its backends).
 * Everything else (CRDs, RBAC, config, workloads, resources of kinds the folder does not define) goes at once.
 * With phases this does not know, or if the rules above ever form a cycle, it falls back to the phase order of
 * federation.json: every object waits for all objects (and their readiness) of the phase before it.
 */
export function objectDependencies(objects: FederationObject[], phases: string[] = DEFAULT_PHASES): Map<FederationObject, ObjectDependency[]> {
  const known = phases.every(p => DEFAULT_PHASES.includes(p)) && objects.every(o => DEFAULT_PHASES.includes(o.phase));
  if (known) {
    const deps = dependenciesFromObjects(objects);
    if (!hasCycle(objects, deps)) return deps;
  }
  return phaseDependencies(objects, phases);
}

/** Strict phase order: each object waits for every object of the previous non-empty phase. */
export function phaseDependencies(objects: FederationObject[], phases: string[] = DEFAULT_PHASES): Map<FederationObject, ObjectDependency[]> {
  const deps = new Map<FederationObject, ObjectDependency[]>();
  const groups = phaseGroups(objects, phases);
  groups.forEach((g, i) => {
    const before = i > 0 ? groups[i - 1].objects : [];
    for (const o of g.objects) deps.set(o, before.map(on => ({ on, why: 'phase' })));
  });
  return deps;
}

function dependenciesFromObjects(objects: FederationObject[]): Map<FederationObject, ObjectDependency[]> {
  const deps = new Map<FederationObject, ObjectDependency[]>(objects.map(o => [o, []]));
  const add = (o: FederationObject, on: FederationObject | undefined, why: string) => {
    if (!on || on === o) return;
    const list = deps.get(o)!;
    if (!list.some(d => d.on === on)) list.push({ on, why });
  };
  const find = (apiVersion: string | undefined, kind: string, name: string, namespace?: string) =>
    objects.find(x => x.kind === kind && (apiVersion === undefined || x.apiVersion === apiVersion) && x.name === name && (x.namespace ?? '') === (namespace ?? ''));
  const crds = objects.filter(o => o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io');
  const crdOf = (o: FederationObject) => crds.find(c =>
    c.manifest?.spec?.group === groupOf(o.apiVersion) && c.manifest?.spec?.names?.kind === o.kind);
  const rank = (o: FederationObject) => DEFAULT_PHASES.indexOf(o.phase);
  const webhooks = objects.filter(o => groupOf(o.apiVersion) === 'admissionregistration.k8s.io' && WEBHOOK_KINDS.includes(o.kind));

  for (const o of objects) {
    if (o.namespace) add(o, find('v1', 'Namespace', o.namespace), 'namespace');
    add(o, crdOf(o), 'crd');
    if (isWorkload(o)) {
      for (const r of podReferences(o.manifest?.spec?.template)) add(o, find('v1', r.kind, r.name, o.namespace), 'pod-reference');
    }
  }
  for (const w of webhooks) {
    const entries: any[] = Array.isArray(w.manifest?.webhooks) ? w.manifest.webhooks : [];
    for (const entry of entries) {
      const ref = entry?.clientConfig?.service;
      const service = ref?.name ? find('v1', 'Service', ref.name, ref.namespace) : undefined;
      if (service) {
        add(w, service, 'webhook-backend');
        const inNamespace = objects.filter(x => isWorkload(x) && x.namespace === service.namespace);
        const backends = inNamespace.filter(x => selects(service.manifest?.spec?.selector, x.manifest?.spec?.template?.metadata?.labels));
        for (const b of backends.length > 0 ? backends : inNamespace) add(w, b, 'webhook-backend');
      }
      for (const o of objects) {
        if (rank(o) <= rank(w)) continue;
        if ((Array.isArray(entry?.rules) ? entry.rules : []).some((r: any) => ruleMatches(r, groupOf(o.apiVersion), pluralOf(o, crdOf(o))))) add(o, w, 'webhook');
      }
    }
  }
  return deps;
}

function hasCycle(objects: FederationObject[], deps: Map<FederationObject, ObjectDependency[]>): boolean {
  const state = new Map<FederationObject, number>();
  const visit = (o: FederationObject): boolean => {
    if (state.get(o) === 2) return false;
    if (state.get(o) === 1) return true;
    state.set(o, 1);
    for (const d of deps.get(o) ?? []) if (visit(d.on)) return true;
    state.set(o, 2);
    return false;
  };
  return objects.some(visit);
}

/**
 * The scheduling priority of each object, so that what gates the most work is sent first: the length of the
 * longest chain of objects that wait for it (a wait for readiness counts as a step too: the run ends only once the
 * object is ready, even when nothing in the folder waits for it), then, among equals, how many objects wait for it
 * directly or indirectly.
 */
export function objectPriorities(
  objects: FederationObject[],
  deps: Map<FederationObject, ObjectDependency[]>,
  waits: (o: FederationObject) => boolean,
): Map<FederationObject, number> {
  const dependents = new Map<FederationObject, FederationObject[]>(objects.map(o => [o, []]));
  for (const [o, list] of deps) for (const d of list) dependents.get(d.on)?.push(o);
  const height = new Map<FederationObject, number>();
  const measure = (o: FederationObject): number => {
    let h = height.get(o);
    if (h === undefined) {
      height.set(o, 0); // guards against cycles (none reach here)
      const after = dependents.get(o)!;
      h = (waits(o) ? 2 : 1) + Math.max(0, ...after.map(measure));
      height.set(o, h);
    }
    return h;
  };
  const below = new Map<FederationObject, Set<FederationObject>>();
  const descendants = (o: FederationObject): Set<FederationObject> => {
    let set = below.get(o);
    if (!set) {
      set = new Set();
      below.set(o, set); // guards against cycles
      for (const d of dependents.get(o)!) {
        set.add(d);
        for (const x of descendants(d)) set.add(x);
      }
    }
    return set;
  };
  const scale = objects.length + 1;
  return new Map(objects.map(o => [o, measure(o) * scale + descendants(o).size]));
}
