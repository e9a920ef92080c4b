import { placeholderToken } from 'cdk8s-kubesphere-federation/lib/contract/federation-json';
import { memberKey } from './applyset';
import { UsageError } from './errors';
import { describeObject, loadFederation } from './federation';
import { clusterOrder, phaseGroups } from './ordering';
import { sourceObject } from './placeholders';
import { objectName } from './report';
import { readinessFor } from './waits';

/** One object in a plan. */
export interface PlannedObject {
  readonly file: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly constructPath: string;
  /** `established` or `rollout`. */
  readonly waitFor?: string;
  readonly placeholders: string[];
}

/** One cluster in a plan. */
export interface PlannedCluster {
  readonly name: string;
  readonly role: string;
  readonly context: string;
  readonly connection?: string;
  /** Clusters whose state fills this cluster's placeholders (all clusters still start at once). */
  readonly readsFrom: string[];
  /** Objects of other clusters' folders this cluster's objects wait for (`Service kubesphere-system/tower on host`). */
  readonly waitsOn: string[];
  readonly phases: {
    readonly phase: string;
    readonly objects: PlannedObject[];
  }[];
  /** Placeholders this cluster's objects hold, with where their values come from (never the values). */
  readonly placeholders: { id: string; kind: string; source: string; secret: boolean }[];
  /** What the member waits for on the host after its apply. */
  readonly joins?: string;
}

/** What `apply` would do, in order, without contacting any cluster. */
export interface PlanReport {
  readonly dist: string;
  readonly host: string;
  readonly clusters: PlannedCluster[];
}

/** The ordered phases and objects of each cluster, from federation.json alone (no cluster is contacted). */
export function plan(dist: string, options: { only?: string[]; contexts?: { [cluster: string]: string } } = {}): PlanReport {
  const federation = loadFederation(dist);
  const names = federation.clusters.map(c => c.name);
  for (const name of [...(options.only ?? []), ...Object.keys(options.contexts ?? {})]) {
    if (!names.includes(name)) throw new UsageError(`unknown cluster "${name}"; the federation has: ${names.join(', ')}`);
  }
  const selected = options.only && options.only.length > 0 ? names.filter(n => options.only!.includes(n)) : names;
  const order = clusterOrder(federation.clusters, selected);
  const host = federation.clusters.find(c => c.name === federation.host);
  const clusters = order.map(({ name, waitsFor }) => {
    const c = federation.clusters.find(x => x.name === name)!;
    const ids = new Set(c.objects.flatMap(o => o.placeholders));
    const waitsOn = new Set<string>();
    for (const p of federation.placeholders.filter(x => ids.has(x.id))) {
      const from = sourceObject(p.source, federation.host);
      const source = from && federation.clusters.find(x => x.name === from.cluster && x.name !== name && selected.includes(x.name));
      if (from && source?.objects.some(o => memberKey(o) === memberKey(from.ref))) {
        waitsOn.add(`${describeObject(from.ref)} on ${from.cluster} (${placeholderToken(p.id)})`);
      }
    }
    const hostCluster = host?.objects.find(o => o.kind === 'Cluster' && o.name === c.name && o.apiVersion.startsWith('cluster.kubesphere.io/'));
    return {
      name,
      role: c.role,
      context: options.contexts?.[name] ?? c.context,
      ...(c.connection ? { connection: c.connection } : {}),
      readsFrom: waitsFor,
      waitsOn: [...waitsOn].sort(),
      phases: phaseGroups(c.objects, federation.phases).map(g => ({
        phase: g.phase,
        objects: g.objects.map(o => ({
          file: o.file,
          kind: o.kind,
          ...(o.namespace ? { namespace: o.namespace } : {}),
          name: o.name,
          constructPath: o.constructPath,
          ...(readinessFor(o) ? { waitFor: o.waitFor ?? (o.kind === 'CustomResourceDefinition' ? 'established' : 'rollout') } : {}),
          placeholders: o.placeholders,
        })),
      })),
      placeholders: federation.placeholders.filter(p => ids.has(p.id))
        .map(p => ({ id: p.id, kind: p.kind, source: describeSource(p.source), secret: p.secret })),
      ...(c.role === 'member' && hostCluster ? { joins: `Cluster ${c.name} on ${federation.host} ${c.connection === 'proxy' ? 'AgentAvailable and Ready' : 'Ready'}` } : {}),
    } as PlannedCluster;
  });
  return { dist, host: federation.host, clusters };
}

/** Where a placeholder's value comes from, in words. */
export function describeSource(s: { type: string; [key: string]: any }): string {
  switch (s.type) {
    case 'env': return `environment variable ${s.name}`;
    case 'file': return `file ${s.path}${s.context ? ` (context ${s.context})` : ''}`;
    case 'context': return `kubeconfig context ${s.context}`;
    case 'host-secret': return `Secret ${s.namespace}/${s.name} key ${s.key} on ${s.cluster ?? 'the host'}`;
    case 'generate': return `generated (${s.bytes ?? 32} random bytes)${s.reuse ? `, reusing ${s.reuse.kind} ${s.reuse.name}${s.reuse.pointer} on ${s.reuse.cluster}` : ''}`;
    case 'read-object': return `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}${s.pointer} on ${s.cluster}, once written`;
    case 'service-address': return `load balancer address of Service ${s.namespace}/${s.name} on ${s.cluster}`;
    case 'webhook-certificate': return `self-signed certificate (${s.part}) kept in Secret ${s.namespace}/${s.secret} on ${s.cluster}`;
    default: return s.type;
  }
}

/** The plan as text. */
export function formatPlan(p: PlanReport): string {
  const lines: string[] = [];
  lines.push(`Clusters, all at once: ${p.clusters.map(c => c.name).join(', ')}`);
  for (const c of p.clusters) {
    lines.push('');
    lines.push(`${c.name} (${c.role}${c.connection ? `, ${c.connection}` : ''}, context ${c.context})${c.readsFrom.length ? `, reads ${c.readsFrom.join(', ')}` : ''}`);
    for (const w of c.waitsOn) lines.push(`  waits for ${w}`);
    for (const g of c.phases) {
      lines.push(`  ${g.phase}:`);
      for (const o of g.objects) lines.push(`    ${o.file}  ${objectName(o)}${o.waitFor ? `  (wait: ${o.waitFor})` : ''}`);
    }
    if (c.joins) lines.push(`  then wait: ${c.joins}`);
    for (const ph of c.placeholders) lines.push(`  fills ${placeholderToken(ph.id)} from ${ph.source}${ph.secret ? ' (secret)' : ''}`);
  }
  return lines.join('\n');
}
