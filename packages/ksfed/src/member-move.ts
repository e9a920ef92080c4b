import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, messageOf, UsageError } from './errors';
import { ClientNodeKubeClient, KubeClient, ObjectRef } from './kube-client';
import { loadKubeConfig } from './kubeconfig';

/** The label that binds a namespace (a KubeSphere project) to its workspace (facts §5.2). */
export const WORKSPACE_LABEL = 'kubesphere.io/workspace';
/** Where a move records, on each namespace it unbound, the workspace it goes to: a re-run after an interruption finishes it. */
export const MOVING_TO_ANNOTATION = 'ksfed.kubesphere-federation/moving-to';
/** The workspace a namespace was unbound from, next to MOVING_TO_ANNOTATION. */
export const MOVING_FROM_ANNOTATION = 'ksfed.kubesphere-federation/moving-from';
/** The field manager of the move's patches. */
export const MOVE_FIELD_MANAGER = 'ksfed-move-member';

const KUBEFED_MANAGED = 'kubefed.io/managed';
const SYSTEM_WORKSPACE = 'system-workspace';
const WORKSPACE = 'tenant.kubesphere.io/v1alpha1';
const WORKSPACE_TEMPLATE = 'tenant.kubesphere.io/v1alpha2';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** What a move needs of a cluster's API: reads, deletes, and merge patches (which can remove what others set). */
export type MoveClient = Pick<KubeClient, 'get' | 'list' | 'delete'> & {
  mergePatch(ref: ObjectRef, patch: any, options: { fieldManager: string; dryRun?: boolean }): Promise<any>;
};

/** Options of `moveMember`. */
export interface MoveMemberOptions {
  /** The member's kubeconfig context. */
  readonly context: string;
  /**
   * The workspace the projects go to: made by the new host and placed on the member, so that its KubeFed made it
   * there (labelled `kubefed.io/managed: "true"`).
   */
  readonly workspace: string;
  /**
   * The workspaces whose projects move (at least one): their WorkspaceTemplate and Workspace on the member are
   * deleted. Named, never guessed: a re-run after a finished move must not pick up another workspace.
   */
  readonly from: string[];
  /** The old host's context: the move is refused while it still has a Cluster or KubeFedCluster for the member. */
  readonly oldHostContext?: string;
  /** The old host no longer exists, so nothing can put the old workspace back (instead of `oldHostContext`). */
  readonly oldHostRemoved?: boolean;
  /** The member's name on the old host (its Cluster there). Default: the context name. */
  readonly clusterName?: string;
  /** Report what the move would do; change nothing. */
  readonly dryRun?: boolean;
  /** Kubeconfig file; default `$KUBECONFIG`, `~/.kube/config`. */
  readonly kubeconfig?: string;
  /** A loaded kubeconfig (wins over `kubeconfig`). */
  readonly kubeConfig?: KubeConfig;
  /** Environment (default process.env), for `$KUBECONFIG`. */
  readonly env?: { [key: string]: string | undefined };
  /** Makes the API client of a context (tests). */
  readonly clientFactory?: (context: string) => MoveClient;
}

/** One namespace the move touches, and what it does (or would do) to it. */
export interface NamespaceMove {
  readonly name: string;
  /** The workspace it leaves (from its label or owner, or from an earlier run's annotation). */
  readonly from?: string;
  /**
   * `unbind`: its workspace label and Workspace ownerReferences removed; `bind`: labelled with the target. A
   * namespace an interrupted run already unbound is only bound.
   */
  readonly steps: ('unbind' | 'bind')[];
  /** Labelled `kubefed.io/managed: "true"`: a host's KubeFed propagated it (a multi-cluster project). */
  readonly kubefedManaged?: boolean;
}

/** The result of a move. */
export interface MoveReport {
  readonly context: string;
  /** The member's name on the old host. */
  readonly cluster: string;
  /** The target workspace. */
  readonly workspace: string;
  /** The workspaces whose projects move. */
  readonly from: string[];
  readonly dryRun: boolean;
  /**
   * `moved`; `would-move` (dry run); `nothing-to-do` (already moved: a re-run after it finished); `refused` (nothing
   * changed, see `refusals`); `failed` (stopped part-way, see `error`: run it again to finish).
   */
  readonly outcome: 'moved' | 'would-move' | 'nothing-to-do' | 'refused' | 'failed';
  /** Why it refused, one line each with the fix. */
  readonly refusals: string[];
  /** Every namespace it touches (or would), by name. */
  readonly namespaces: NamespaceMove[];
  /** The member's WorkspaceTemplates and Workspaces it deletes (or would): `WorkspaceTemplate shop`. */
  readonly deletes: string[];
  /** What stopped a move part-way. */
  readonly error?: string;
}

const isWorkspaceOwner = (r: any) => r?.kind === 'Workspace' && typeof r?.apiVersion === 'string' && r.apiVersion.startsWith('tenant.kubesphere.io/');

/** The names of the Workspaces that own a namespace (its ownerReferences). */
function ownersOf(ns: any): string[] {
  return (Array.isArray(ns.metadata?.ownerReferences) ? ns.metadata.ownerReferences : []).filter(isWorkspaceOwner).map((r: any) => String(r.name));
}

async function listOrNone(client: MoveClient, apiVersion: string, kind: string): Promise<any[]> {
  try {
    return await client.list(apiVersion, kind);
  } catch (e) {
    if (e instanceof KubeApiError && (e.notServed || e.code === 404)) return [];
    throw e;
  }
}

/**
 * Moves a member's projects to a workspace of its new host, as KubeSphere's multi-cluster guide says to keep them
 * when a member changes hosts: (1) unbind each project namespace of the moved workspaces (remove the
 * `kubesphere.io/workspace` label and the ownerReferences to the Workspace, which would otherwise delete the
 * namespace with it), (2) delete the member's WorkspaceTemplate and Workspace of those workspaces, (3) label the
 * namespaces with the target workspace, which the new host made there. Everything is checked before the first
 * write; a move that would lose data or cannot tell what to do is refused (see MoveReport.refusals). Each unbound
 * namespace carries MOVING_TO_ANNOTATION until it is bound, so a run that was interrupted is finished by running
 * it again. Never throws for the fleet's state (bad input is a UsageError).
 */
export async function moveMember(options: MoveMemberOptions): Promise<MoveReport> {
  const target = options.workspace;
  if (options.from.length === 0) throw new UsageError('--from is missing: name the workspace(s) whose projects move. Fix: pass --from WORKSPACE (the old workspace on the member)');
  for (const [flag, name] of [['--workspace', target], ...options.from.map(f => ['--from', f])]) {
    if (!DNS_LABEL.test(name) || name.length > 63) throw new UsageError(`${flag} ${JSON.stringify(name)}: not a workspace name (a DNS-1123 label: lower-case letters, digits and '-'). Fix: pass the workspace's metadata.name`);
  }
  if (options.oldHostContext !== undefined && options.oldHostContext === options.context) {
    throw new UsageError(`--old-host-context ${options.oldHostContext} is the member's own context. Fix: pass the context of the host the member leaves`);
  }
  if (options.oldHostContext !== undefined && options.oldHostRemoved) {
    throw new UsageError('--old-host-context and --old-host-removed exclude each other. Fix: pass the old host\'s context if it still exists, else --old-host-removed');
  }
  const clientOf = clientMaker(options);
  const member = clientOf(options.context);
  const cluster = options.clusterName ?? options.context;
  const base = { context: options.context, cluster, workspace: target, dryRun: options.dryRun ?? false };

  let plan: Plan;
  try {
    plan = await planMove(member, options, cluster, clientOf);
  } catch (e) {
    return { ...base, from: options.from, outcome: 'failed', refusals: [], namespaces: [], deletes: [], error: `reading ${options.context}: ${describe(e)}. Fix: check the context reaches the member, then run again` };
  }
  const report = { ...base, from: plan.from, namespaces: plan.namespaces, deletes: plan.deletes.map(d => `${d.kind} ${d.name}`) };
  if (plan.refusals.length > 0) return { ...report, outcome: 'refused', refusals: plan.refusals };
  if (plan.namespaces.length === 0 && plan.deletes.length === 0) return { ...report, outcome: 'nothing-to-do', refusals: [] };
  if (options.dryRun) return { ...report, outcome: 'would-move', refusals: [] };

  try {
    await execute(member, plan, target);
  } catch (e) {
    return { ...report, outcome: 'failed', refusals: [], error: `${describe(e)}. Fix: run the same move again: it finishes what was started` };
  }
  return { ...report, outcome: 'moved', refusals: [] };
}

/** What a move does, worked out from the member's state before any write. */
interface Plan {
  readonly from: string[];
  readonly namespaces: NamespaceMove[];
  /** The live namespaces to unbind, by name. */
  readonly live: Map<string, any>;
  readonly deletes: { kind: 'WorkspaceTemplate' | 'Workspace'; name: string; apiVersion: string }[];
  readonly refusals: string[];
}

async function planMove(member: MoveClient, options: MoveMemberOptions, cluster: string, clientOf: (context: string) => MoveClient): Promise<Plan> {
  const target = options.workspace;
  const [namespaces, workspaces, templates] = await Promise.all([
    member.list('v1', 'Namespace'),
    listOrNone(member, WORKSPACE, 'Workspace'),
    listOrNone(member, WORKSPACE_TEMPLATE, 'WorkspaceTemplate'),
  ]);
  const refusals: string[] = [];
  const label = (ns: any): string | undefined => ns.metadata?.labels?.[WORKSPACE_LABEL] || undefined;
  const annotation = (ns: any, key: string): string | undefined => ns.metadata?.annotations?.[key] || undefined;

  // An earlier run that stopped part-way: its namespaces say where they go.
  const pending = namespaces.filter(ns => annotation(ns, MOVING_TO_ANNOTATION) !== undefined);
  for (const ns of pending.filter(x => annotation(x, MOVING_TO_ANNOTATION) !== target)) {
    refusals.push(`namespace ${ns.metadata.name} is half-way to workspace ${annotation(ns, MOVING_TO_ANNOTATION)} (an earlier move stopped after unbinding it). Fix: finish that move first (--workspace ${annotation(ns, MOVING_TO_ANNOTATION)})`);
  }

  const from = [...new Set(options.from)];
  if (from.includes(target)) refusals.push(`--from ${target} is the target workspace: moving it into itself would delete it. Fix: name the target's new workspace in --workspace, the old ones in --from`);
  if (from.includes(SYSTEM_WORKSPACE)) refusals.push(`--from ${SYSTEM_WORKSPACE}: that is KubeSphere's own workspace (kubesphere-system and the other system projects). Fix: leave it out`);
  const moving = new Set(from.filter(w => w !== target && w !== SYSTEM_WORKSPACE));

  // The target must be there: the new host made it (KubeFed propagated its Workspace to the member).
  const targetWorkspace = workspaces.find(w => w.metadata?.name === target);
  if (!targetWorkspace || targetWorkspace.metadata?.deletionTimestamp) {
    refusals.push(`workspace ${target} does not exist on ${options.context}${targetWorkspace ? ' (it is being deleted)' : ''}: its projects would be bound to nothing. Fix: join the member to the new host, place ${target} on it there (the Workspace's clusters), wait until Workspace ${target} appears on the member, then run again`);
  } else if (targetWorkspace.metadata?.labels?.[KUBEFED_MANAGED] !== 'true') {
    refusals.push(`workspace ${target} on ${options.context} was not made by a host (it is not labelled ${KUBEFED_MANAGED}=true, as KubeFed labels what it propagates): the new host would not see the projects bound to it. Fix: place ${target} on the member from the new host (the Workspace's clusters), then run again`);
  }

  // The namespaces that move, and those a deletion would take with it.
  const moves: NamespaceMove[] = [];
  const live = new Map<string, any>();
  let kubefedManaged = false;
  for (const ns of namespaces) {
    const name = String(ns.metadata?.name);
    const l = label(ns);
    const owners = ownersOf(ns);
    const movedOwners = owners.filter(o => moving.has(o));
    const resumed = annotation(ns, MOVING_TO_ANNOTATION) === target;
    const inMoved = l !== undefined && moving.has(l);
    if (!inMoved && movedOwners.length === 0 && !resumed) continue;
    if (movedOwners.length > 0 && l !== undefined && !moving.has(l) && l !== target) {
      refusals.push(`namespace ${name} is in workspace ${l}, which does not move, but is owned by Workspace ${movedOwners[0]}, which the move deletes: the garbage collector would delete ${name} with it. Fix: add --from ${l}, or remove that ownerReference from ${name}`);
      continue;
    }
    const strangers = owners.filter(o => !moving.has(o) && o !== target);
    if (inMoved && strangers.length > 0) {
      refusals.push(`namespace ${name} is labelled workspace ${l} but owned by Workspace ${strangers[0]}: which workspace it belongs to is ambiguous. Fix: make its label and ownerReferences agree, or add --from ${strangers[0]}`);
      continue;
    }
    if (ns.metadata?.deletionTimestamp) {
      refusals.push(`namespace ${name} is being deleted: there is nothing left to keep. Fix: wait until it is gone, then run again`);
      continue;
    }
    const managed = ns.metadata?.labels?.[KUBEFED_MANAGED] === 'true';
    kubefedManaged ||= managed;
    const unbind = inMoved || movedOwners.length > 0;
    if (unbind) live.set(name, ns);
    moves.push({
      name,
      from: inMoved ? l : movedOwners[0] ?? annotation(ns, MOVING_FROM_ANNOTATION),
      steps: unbind ? ['unbind', 'bind'] : ['bind'],
      ...(managed ? { kubefedManaged: true } : {}),
    });
  }

  const deletes: Plan['deletes'] = [];
  for (const w of [...moving].sort()) {
    const template = templates.find(t => t.metadata?.name === w);
    const workspace = workspaces.find(x => x.metadata?.name === w);
    if (template) deletes.push({ kind: 'WorkspaceTemplate', name: w, apiVersion: WORKSPACE_TEMPLATE });
    if (workspace) deletes.push({ kind: 'Workspace', name: w, apiVersion: WORKSPACE });
    kubefedManaged ||= [template, workspace].some(o => o?.metadata?.labels?.[KUBEFED_MANAGED] === 'true');
  }

  // The old host: while it still joins the member, its KubeFed puts the old workspace back and takes the projects.
  if (options.oldHostContext !== undefined) {
    refusals.push(...await oldHostRefusals(clientOf, options.oldHostContext, cluster));
  } else if (kubefedManaged && !options.oldHostRemoved && (moves.length > 0 || deletes.length > 0)) {
    refusals.push(`the old workspace${moving.size > 1 ? 's' : ''} or ${moving.size > 1 ? 'their' : 'its'} projects were propagated by a host's KubeFed (labelled ${KUBEFED_MANAGED}=true): while that host still joins ${cluster}, it would put them back and delete what moved. Fix: pass --old-host-context CONTEXT (the move checks that host no longer has Cluster ${cluster}), or --old-host-removed if that host no longer exists`);
  }
  return { from: [...moving].sort(), namespaces: moves.sort((a, b) => (a.name < b.name ? -1 : 1)), live, deletes, refusals };
}

/** Why the old host still holds the member: its Cluster or KubeFedCluster there (or that it cannot be asked). */
async function oldHostRefusals(clientOf: (context: string) => MoveClient, context: string, cluster: string): Promise<string[]> {
  const old = clientOf(context);
  try {
    const [clusterObject, kubefedCluster] = await Promise.all([
      old.get({ apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', name: cluster }).catch(e => {
        if (e instanceof KubeApiError && e.notServed) return undefined;
        throw e;
      }),
      old.get({ apiVersion: 'core.kubefed.io/v1beta1', kind: 'KubeFedCluster', namespace: 'kube-federation-system', name: cluster }).catch(e => {
        if (e instanceof KubeApiError && e.notServed) return undefined;
        throw e;
      }),
    ]);
    const out: string[] = [];
    if (clusterObject) {
      out.push(`the old host (context ${context}) still has Cluster ${cluster}${clusterObject.metadata?.deletionTimestamp ? ', being deleted' : ''}: it still joins the member, and its KubeFed would put the old workspace back and delete what moved. Fix: remove the member there first (kubectl --context ${context} delete cluster ${cluster}), wait until it is gone, then run again`);
    } else if (kubefedCluster) {
      out.push(`the old host (context ${context}) still has KubeFedCluster kube-federation-system/${cluster}: its KubeFed still reaches the member. Fix: finish the unjoin there (kubectl --context ${context} -n kube-federation-system delete kubefedcluster ${cluster}), then run again`);
    }
    return out;
  } catch (e) {
    return [`the old host (context ${context}) cannot be asked whether it still joins ${cluster}: ${describe(e)}. Fix: make it reachable, or pass --old-host-removed if it no longer exists`];
  }
}

/** The three steps, each idempotent: a re-run after an interruption resumes from the namespaces' annotations. */
async function execute(member: MoveClient, plan: Plan, target: string): Promise<void> {
  const patch = (name: string, body: any) => member.mergePatch({ apiVersion: 'v1', kind: 'Namespace', name }, body, { fieldManager: MOVE_FIELD_MANAGER });
  // (1) Unbind: the label and the Workspace owners go in one patch, the destination is recorded in the same one.
  for (const move of plan.namespaces.filter(m => m.steps.includes('unbind'))) {
    const ns = plan.live.get(move.name);
    const refs: any[] = Array.isArray(ns.metadata?.ownerReferences) ? ns.metadata.ownerReferences : [];
    const kept = refs.filter(r => !(isWorkspaceOwner(r) && plan.from.includes(String(r.name))));
    await patch(move.name, {
      metadata: {
        labels: { [WORKSPACE_LABEL]: null },
        // (a merge patch replaces the list whole; null removes it)
        ownerReferences: kept.length > 0 ? kept : null,
        annotations: { [MOVING_TO_ANNOTATION]: target, ...(move.from ? { [MOVING_FROM_ANNOTATION]: move.from } : {}) },
      },
    });
  }
  // (2) Before deleting the old workspaces, nothing may still belong to them (a controller could have put it back).
  const still = (await member.list('v1', 'Namespace')).filter(ns =>
    plan.from.includes(ns.metadata?.labels?.[WORKSPACE_LABEL]) || ownersOf(ns).some(o => plan.from.includes(o)));
  if (still.length > 0) {
    throw new Error(`namespace ${still.map(ns => ns.metadata.name).join(', ')} still belongs to ${plan.from.join(', ')} after it was unbound (did a controller bind it again?); nothing was deleted`);
  }
  for (const d of plan.deletes) await member.delete({ apiVersion: d.apiVersion, kind: d.kind, name: d.name });
  // (3) Bind to the target; the move's annotations go with it.
  for (const move of plan.namespaces) {
    const annotations = { [MOVING_TO_ANNOTATION]: null, [MOVING_FROM_ANNOTATION]: null };
    await patch(move.name, { metadata: { labels: { [WORKSPACE_LABEL]: target }, annotations } });
  }
}

function describe(e: unknown): string {
  if (e instanceof KubeApiError) return e.code === 0 ? e.message : `${e.code} ${e.reason}: ${e.message}`;
  return messageOf(e).split('\n')[0];
}

function clientMaker(options: MoveMemberOptions): (context: string) => MoveClient {
  if (options.clientFactory) return options.clientFactory;
  const kc = options.kubeConfig ?? loadKubeConfig(options.kubeconfig, options.env ?? process.env);
  const names = kc.getContexts().map(c => c.name);
  for (const [flag, context] of [['--context', options.context], ['--old-host-context', options.oldHostContext]] as const) {
    if (context !== undefined && !names.includes(context)) throw new UsageError(`${flag} ${context}: no such context in the kubeconfig; it has: ${names.join(', ')}. Fix: pass one of them`);
  }
  return context => new ClientNodeKubeClient({ cluster: context, kubeConfig: kc, context });
}

/** The report as text: what moved (or would, or why not), namespace by namespace. */
export function formatMove(report: MoveReport): string {
  const lines: string[] = [];
  const head = `move-member ${report.cluster} (context ${report.context}): ${report.from.length > 0 ? report.from.join(', ') : '(no workspace)'} -> ${report.workspace}`;
  lines.push(`${head}${report.dryRun ? ' (dry run)' : ''}`);
  for (const r of report.refusals) lines.push(`refused: ${r}`);
  if (report.namespaces.length > 0) {
    const rows = report.namespaces.map(n => [n.name, n.from ?? '-', n.steps.join(', '), n.kubefedManaged ? 'kubefed.io/managed' : '']);
    const header = ['NAMESPACE', 'FROM', report.outcome === 'moved' ? 'DONE' : 'STEPS', ''];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
    for (const r of [header, ...rows]) lines.push(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  }
  if (report.deletes.length > 0) lines.push(`${report.outcome === 'moved' ? 'deleted' : 'deletes'} on the member: ${report.deletes.join(', ')}`);
  if (report.error) lines.push(`failed: ${report.error}`);
  const n = report.namespaces.length;
  const summary: { [k in MoveReport['outcome']]: string } = {
    'moved': `moved ${n} namespace${n === 1 ? '' : 's'} into workspace ${report.workspace}`,
    'would-move': `would move ${n} namespace${n === 1 ? '' : 's'} into workspace ${report.workspace}; nothing was changed`,
    'nothing-to-do': `nothing to move: no namespace of ${report.cluster} is left in ${report.from.length > 0 ? report.from.join(', ') : 'another workspace'} and no move is half-way`,
    'refused': 'refused: nothing was changed',
    'failed': 'stopped part-way: run the same move again to finish it',
  };
  lines.push(summary[report.outcome]);
  return lines.join('\n');
}
