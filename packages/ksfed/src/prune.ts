import {
  APPLYSET_PARENT, APPLYSET_PART_OF_LABEL, ApplySetState, groupKindOf, KSFED_APPLYSET_ID, memberKey, parentManifest, parentProblem, parseParent,
  PRUNE_ANNOTATION, pruneRank, stateOf,
} from './applyset';
import { AbortedError, KubeApiError, messageOf } from './errors';
import { groupOf } from './federation';
import { KubeClient } from './kube-client';
import { ObjectResult } from './report';

/** An object of the ApplySet that the new set no longer holds. */
export interface PruneCandidate {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** The live object's uid (what its dependents' ownerReferences name). */
  readonly uid?: string;
}

/** What a Namespace holds besides what the same prune deletes: `Kind` (or `Kind.group`) -> sorted names. */
export type NamespaceContents = { [groupKind: string]: string[] };

/** A member the prune deletes. */
export interface PruneTarget extends PruneCandidate {
  /** A Namespace deleted with objects ksfed did not create in it (`nonEmptyNamespaces`): what goes with it. */
  readonly holds?: NamespaceContents;
  /** Its contents could not be checked (`nonEmptyNamespaces` deletes it all the same): why. */
  readonly unchecked?: string;
  /**
   * An object ksfed only changes (ks-installer's ClusterConfiguration, which every KubeSphere cluster has): ksfed's
   * fields and its ApplySet label are removed, the object stays.
   */
  readonly release?: boolean;
}

/** Why a member that the folder no longer holds is kept. */
export type KeptReason = 'prune-never' | 'declared' | 'not-empty';

/** A member the prune keeps, and why. */
export interface KeptMember extends PruneCandidate {
  readonly reason: KeptReason;
  /** The reason in words, with the fix. */
  readonly message: string;
  /** For `not-empty`: what the Namespace holds. */
  readonly holds?: NamespaceContents;
}

/** What a prune would delete and keep. */
export interface PruneScan {
  /** Members to delete, in deletion order. */
  readonly candidates: PruneTarget[];
  /** Members kept (annotated `prune: never`, Namespaces the program still declares or that hold other objects). */
  readonly kept: KeptMember[];
  /** Group-kinds the parent records without an apiVersion (cannot be listed). */
  readonly unknown: string[];
}

/** What a prune keeps. */
export interface PruneScanOptions {
  /** Member keys the folder holds. */
  readonly keep: Set<string>;
  /** Namespaces the program declares on the cluster (federation.json's Namespaces and `federatedNamespaces`). */
  readonly declaredNamespaces?: Set<string>;
  /** Delete Namespaces that hold objects the prune does not delete (`--prune-nonempty-namespaces`). */
  readonly nonEmptyNamespaces?: boolean;
}

/** The flag that lets prune delete a Namespace with what it holds. */
export const NONEMPTY_NAMESPACES_FLAG = '--prune-nonempty-namespaces';

/**
 * Lists the members of the ApplySet (label `applyset.kubernetes.io/part-of=<id>`) for every group-kind and
 * namespace the parent records, and returns those not in `keep`, in deletion order. Kept instead, with the reason:
 * objects annotated `ksfed.kubesphere-federation/prune: never`; Namespaces the program still declares on the
 * cluster; and Namespaces that hold objects the same prune does not delete (see `namespaceContents`), unless
 * `nonEmptyNamespaces`, which deletes them and says what goes with them.
 */
export async function pruneCandidates(client: KubeClient, recorded: ApplySetState, options: PruneScanOptions): Promise<PruneScan> {
  const found: PruneCandidate[] = [];
  const kept: KeptMember[] = [];
  const unknown: string[] = [];
  const selector = `${APPLYSET_PART_OF_LABEL}=${KSFED_APPLYSET_ID}`;
  for (const [groupKind, apiVersion] of [...recorded.groupKinds.entries()].sort()) {
    if (!apiVersion) {
      unknown.push(groupKind);
      continue;
    }
    const kind = groupKind.split('.')[0];
    const namespaced = await client.namespaced(apiVersion, kind);
    if (namespaced === undefined) continue; // not served any more: nothing of that kind is left
    for (const namespace of namespaced ? [...recorded.namespaces].sort() : [undefined]) {
      let items: any[];
      try {
        items = await client.list(apiVersion, kind, { namespace, labelSelector: selector });
      } catch (e: any) {
        if (e?.code === 404) continue; // the namespace or kind is gone
        throw e;
      }
      for (const item of items) {
        const uid = typeof item.metadata?.uid === 'string' ? item.metadata.uid : undefined;
        const where = item.metadata?.namespace || undefined;
        const candidate: PruneCandidate = { apiVersion, kind, namespace: where, name: item.metadata?.name, ...(uid ? { uid } : {}) };
        if (!candidate.name || options.keep.has(memberKey(candidate))) continue;
        if (item.metadata?.labels?.[APPLYSET_PART_OF_LABEL] !== KSFED_APPLYSET_ID) continue;
        if (item.metadata?.annotations?.[PRUNE_ANNOTATION] === 'never') {
          kept.push({ ...candidate, reason: 'prune-never', message: `annotated ${PRUNE_ANNOTATION}=never` });
        } else if (isNamespace(candidate) && options.declaredNamespaces?.has(candidate.name)) {
          kept.push({ ...candidate, reason: 'declared', message: 'a project of the program still places this namespace on this cluster (its FederatedNamespace): it stays' });
        } else {
          found.push(candidate);
        }
      }
    }
  }

  // A Namespace goes only when nothing but what this prune deletes is left in it.
  const candidates: PruneTarget[] = [];
  let kinds: Promise<{ apiVersion: string; kind: string }[]> | undefined;
  for (const c of found) {
    if (!isNamespace(c)) {
      candidates.push(isReleased(c) ? { ...c, release: true } : c);
      continue;
    }
    kinds ??= client.namespacedKinds();
    kinds.catch(() => undefined);
    let contents: { holds: NamespaceContents; unchecked?: string };
    try {
      contents = await namespaceContents(client, c.name, await kinds, found.filter(x => !isReleased(x)));
    } catch (e) {
      contents = { holds: {}, unchecked: `the kinds the cluster serves could not be listed (${messageOf(e)})` };
    }
    const empty = Object.keys(contents.holds).length === 0 && !contents.unchecked;
    if (empty) {
      candidates.push(c);
    } else if (options.nonEmptyNamespaces) {
      candidates.push({ ...c, holds: contents.holds, ...(contents.unchecked ? { unchecked: contents.unchecked } : {}) });
    } else {
      const what = contents.unchecked ? `what it holds could not be checked: ${contents.unchecked}` : `it holds objects ksfed did not create: ${describeContents(contents.holds)}`;
      kept.push({
        ...c,
        reason: 'not-empty',
        message: `${what}. Fix: move or delete them, or rerun with ${NONEMPTY_NAMESPACES_FLAG} to delete the namespace with everything in it`,
        holds: contents.holds,
      });
    }
  }
  candidates.sort((a, b) => pruneRank(a) - pruneRank(b));
  return { candidates, kept, unknown };
}

/** Kinds whose objects are records of other objects, not contents anyone would miss. */
const NOT_CONTENTS = new Set(['Event', 'Event.events.k8s.io']);
/** Groups served from live measurements, not stored objects. */
const MEASUREMENT_GROUPS = new Set(['metrics.k8s.io']);

/**
 * What a namespace holds besides `going` (what the same prune deletes) and what goes with it: one LIST per
 * namespaced, listable kind the cluster serves. Not counted: Events; what Kubernetes puts into every namespace
 * (ServiceAccount `default`, ConfigMap `kube-root-ca.crt`, a ServiceAccount token Secret of what goes); the
 * Endpoints of a Service that goes; objects whose every owner goes (their garbage collection). A kind that cannot
 * be listed makes `unchecked` say so.
 */
export async function namespaceContents(
  client: KubeClient, namespace: string, kinds: { apiVersion: string; kind: string }[], going: PruneCandidate[],
): Promise<{ holds: NamespaceContents; unchecked?: string }> {
  const objects = new Map<string, any>();
  const unlisted: string[] = [];
  const listed = kinds.filter(k => !NOT_CONTENTS.has(groupKindOf(k.apiVersion, k.kind)) && !MEASUREMENT_GROUPS.has(groupOf(k.apiVersion)));
  // (all at once: the client bounds the requests in flight; the results are taken in the kinds' order)
  const lists = await Promise.all(listed.map(async k => {
    try {
      return await client.list(k.apiVersion, k.kind, { namespace });
    } catch (e) {
      if (e instanceof AbortedError) throw e;
      if (!(e instanceof KubeApiError && e.code === 404)) unlisted.push(`${groupKindOf(k.apiVersion, k.kind)}: ${messageOf(e)}`);
      return [];
    }
  }));
  for (const [i, k] of listed.entries()) {
    for (const item of lists[i]) {
      const key = memberKey({ apiVersion: k.apiVersion, kind: k.kind, namespace, name: item.metadata?.name ?? '' });
      // (one object served by two groups, e.g. Ingress of extensions and networking.k8s.io, counts once)
      const id = typeof item.metadata?.uid === 'string' ? item.metadata.uid : key;
      if (!objects.has(id)) objects.set(id, { ...item, apiVersion: k.apiVersion, kind: k.kind, key });
    }
  }
  const goingKeys = new Set(going.map(g => memberKey(g)));
  const gone = new Set<any>();
  const goneUids = new Set(going.map(g => g.uid).filter((u): u is string => !!u));
  const goneNames = (kind: string) => new Set([...gone].filter(o => o.kind === kind && groupOf(o.apiVersion) === '').map(o => o.metadata?.name));
  const goes = (o: any): boolean => {
    const name = o.metadata?.name;
    const core = groupOf(o.apiVersion) === '';
    if (goingKeys.has(o.key)) return true;
    if (core && o.kind === 'ServiceAccount' && name === 'default') return true;
    if (core && o.kind === 'ConfigMap' && name === 'kube-root-ca.crt') return true;
    if (core && o.kind === 'Secret' && o.type === 'kubernetes.io/service-account-token'
      && goneNames('ServiceAccount').has(o.metadata?.annotations?.['kubernetes.io/service-account.name'])) return true;
    if (core && o.kind === 'Endpoints' && goneNames('Service').has(name)) return true;
    const owners: any[] = Array.isArray(o.metadata?.ownerReferences) ? o.metadata.ownerReferences : [];
    return owners.length > 0 && owners.every(r => goneUids.has(r?.uid));
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const o of objects.values()) {
      if (gone.has(o) || !goes(o)) continue;
      gone.add(o);
      if (typeof o.metadata?.uid === 'string') goneUids.add(o.metadata.uid);
      changed = true;
    }
  }
  const holds: NamespaceContents = {};
  for (const o of objects.values()) {
    if (gone.has(o)) continue;
    const gk = groupKindOf(o.apiVersion, o.kind);
    (holds[gk] ??= []).push(o.metadata?.name ?? '?');
  }
  for (const names of Object.values(holds)) names.sort();
  return { holds, ...(unlisted.length > 0 ? { unchecked: `cannot list ${unlisted.sort().join('; ')}` } : {}) };
}

/** `2 ConfigMap (a, b), 1 Secret (s)`: counts and the first names of each kind. */
export function describeContents(holds: NamespaceContents, names = 5): string {
  const parts = Object.keys(holds).sort().map(gk => {
    const list = holds[gk];
    return `${list.length} ${gk} (${list.slice(0, names).join(', ')}${list.length > names ? ', ...' : ''})`;
  });
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

/** What a pruned object's report line adds (what went with a Namespace; a released object). */
export function pruneNote(t: PruneTarget, dryRun: boolean): string | undefined {
  if (t.release) return `${dryRun ? 'would remove' : 'removed'} ksfed's fields and ApplySet label; the object stays (it is ks-installer's configuration)`;
  const parts: string[] = [];
  if (t.holds && Object.keys(t.holds).length > 0) parts.push(`${dryRun ? 'would delete' : 'deleted'} with what it held: ${describeContents(t.holds)}`);
  if (t.unchecked) parts.push(`what it held was not checked: ${t.unchecked}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** What pruning did: the results (pruned, then kept) in order. */
export interface PruneOutcome {
  readonly results: ObjectResult[];
  readonly pruned: number;
}

/** How `executePrune` runs. */
export interface ExecutePruneOptions {
  readonly dryRun: boolean;
  readonly signal?: AbortSignal;
  /** Each result as it happens. */
  readonly onResult?: (result: ObjectResult) => void;
  /** Called before an AbortedError is thrown between deletions. */
  readonly onInterrupted?: (pruned: number, total: number) => void;
}

/**
 * Deletes the scan's candidates in order (dry run: deletes nothing), releases the objects ksfed only changes, and
 * reports each, then each kept member (result `kept`, with the reason). Stops between deletions when aborted.
 */
export async function executePrune(client: KubeClient, cluster: string, scan: PruneScan, options: ExecutePruneOptions): Promise<PruneOutcome> {
  const results: ObjectResult[] = [];
  const emit = (r: ObjectResult) => {
    results.push(r);
    options.onResult?.(r);
  };
  let pruned = 0;
  for (const c of scan.candidates) {
    if (options.signal?.aborted) {
      options.onInterrupted?.(pruned, scan.candidates.length);
      throw new AbortedError();
    }
    if (!options.dryRun) {
      // (applying the name alone removes every field ksfed owned, its ApplySet label included)
      const { apiVersion, kind, name, namespace } = c;
      if (c.release) await client.apply({ apiVersion, kind, metadata: { name, namespace } }, { force: true });
      else await client.delete(c);
    }
    pruned++;
    const note = pruneNote(c, options.dryRun);
    emit({ cluster, ...refOf(c), result: 'pruned', ...(note ? { message: note } : {}) });
  }
  for (const k of scan.kept) emit({ cluster, ...refOf(k), result: 'kept', message: k.message });
  return { results, pruned };
}

/** The state the parent records once the prune is done: the new set and what it kept. */
export function stateAfterPrune(desired: ApplySetState, scan: PruneScan): ApplySetState {
  const kept = stateOf(scan.kept);
  return {
    groupKinds: new Map([...kept.groupKinds, ...desired.groupKinds]),
    namespaces: new Set([...desired.namespaces, ...kept.namespaces]),
    ...(desired.clusters ? { clusters: desired.clusters } : {}),
  };
}

/** How a removed cluster's clean-up ended. */
export interface RemovedClusterCleanup {
  /** `cleaned`: nothing of ksfed's is left (the host's record may forget it); `partly-cleaned`: some kept, `failed`. */
  readonly status: 'cleaned' | 'partly-cleaned' | 'failed' | 'left';
  readonly message: string;
  readonly results: ObjectResult[];
}

/**
 * Prunes the whole ksfed ApplySet of a cluster removed from the program: every member (with the rules of
 * `pruneCandidates`: `prune: never` and Namespaces holding other objects kept), then its parent. A dry run
 * deletes nothing and ends `left`. Objects kept for other reasons than `prune: never` (or kinds that cannot be
 * listed) leave the parent in place, recording them, and end `partly-cleaned`. Never throws but AbortedError.
 */
export async function cleanRemovedCluster(
  client: KubeClient, cluster: string, options: ExecutePruneOptions & { readonly nonEmptyNamespaces?: boolean },
): Promise<RemovedClusterCleanup> {
  const results: ObjectResult[] = [];
  try {
    const parent = await client.get(APPLYSET_PARENT);
    const problem = parentProblem(parent);
    if (problem) return { status: 'failed', message: problem, results };
    if (!parent) return { status: options.dryRun ? 'left' : 'cleaned', message: 'no ApplySet parent there: nothing of ksfed\'s to prune', results };
    const scan = await pruneCandidates(client, parseParent(parent), { keep: new Set(), nonEmptyNamespaces: options.nonEmptyNamespaces });
    const outcome = await executePrune(client, cluster, scan, {
      ...options,
      onResult: r => {
        results.push(r);
        options.onResult?.(r);
      },
    });
    const blocking = scan.kept.filter(k => k.reason !== 'prune-never');
    const kept = scan.kept.length > 0 ? `, kept ${scan.kept.length}` : '';
    if (options.dryRun) {
      return { status: 'left', message: `would prune ${outcome.pruned}${kept}${blocking.length === 0 && scan.unknown.length === 0 ? ' and its ApplySet parent' : ''}`, results };
    }
    if (blocking.length > 0 || scan.unknown.length > 0) {
      // The parent keeps recording what is left (as it is, while some kinds cannot be listed).
      if (scan.unknown.length === 0) await client.apply(parentManifest(stateAfterPrune(stateOf([]), scan)), { force: true });
      const why = scan.unknown.length > 0 ? `cannot list ${scan.unknown.join(', ')} (the parent does not record their apiVersion)` : `${blocking.length} kept (see above)`;
      return { status: 'partly-cleaned', message: `pruned ${outcome.pruned}; ${why}: it stays recorded until they are gone`, results };
    }
    await client.delete(APPLYSET_PARENT);
    return { status: 'cleaned', message: `pruned ${outcome.pruned}${kept} and its ApplySet parent`, results };
  } catch (e) {
    if (e instanceof AbortedError) throw e;
    const what = e instanceof KubeApiError && e.code !== 0 ? `${e.code} ${e.reason}: ${e.message}` : messageOf(e).split('\n')[0];
    return { status: 'failed', message: `not cleaned: ${what}`, results };
  }
}

function refOf(o: PruneCandidate): Pick<ObjectResult, 'apiVersion' | 'kind' | 'namespace' | 'name'> {
  return { apiVersion: o.apiVersion, kind: o.kind, ...(o.namespace ? { namespace: o.namespace } : {}), name: o.name };
}

function isNamespace(o: { apiVersion: string; kind: string }): boolean {
  return o.kind === 'Namespace' && groupOf(o.apiVersion) === '';
}

function isReleased(o: { apiVersion: string; kind: string; namespace?: string; name: string }): boolean {
  return o.kind === 'ClusterConfiguration' && groupOf(o.apiVersion) === 'installer.kubesphere.io' && o.namespace === 'kubesphere-system' && o.name === 'ks-installer';
}
