import { APPLYSET_PART_OF_LABEL, ApplySetState, KSFED_APPLYSET_ID, memberKey, PRUNE_ANNOTATION, pruneRank } from './applyset';
import { KubeClient } from './kube-client';

/** An object of the ApplySet that the new set no longer holds. */
export interface PruneCandidate {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** What a prune would delete. */
export interface PruneScan {
  /** Members to delete, in deletion order. */
  readonly candidates: PruneCandidate[];
  /** Members annotated `prune: never`. */
  readonly protected: PruneCandidate[];
  /** Group-kinds the parent records without an apiVersion (cannot be listed). */
  readonly unknown: string[];
}

/**
 * Lists the members of the ApplySet (label `applyset.kubernetes.io/part-of=<id>`) for every group-kind and
 * namespace the parent records, and returns those not in `keep` (member keys), in deletion order. Objects
 * annotated `ksfed.kubesphere-federation/prune: never` are returned in `protected` instead.
 */
export async function pruneCandidates(client: KubeClient, recorded: ApplySetState, keep: Set<string>): Promise<PruneScan> {
  const candidates: PruneCandidate[] = [];
  const kept: PruneCandidate[] = [];
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
        const candidate = { apiVersion, kind, namespace: item.metadata?.namespace || undefined, name: item.metadata?.name };
        if (!candidate.name || keep.has(memberKey(candidate))) continue;
        if (item.metadata?.labels?.[APPLYSET_PART_OF_LABEL] !== KSFED_APPLYSET_ID) continue;
        if (item.metadata?.annotations?.[PRUNE_ANNOTATION] === 'never') kept.push(candidate);
        else candidates.push(candidate);
      }
    }
  }
  candidates.sort((a, b) => pruneRank(a) - pruneRank(b));
  return { candidates, protected: kept, unknown };
}
