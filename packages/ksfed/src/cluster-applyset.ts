import {
  APPLYSET_PARENT, APPLYSET_PART_OF_LABEL, APPLYSET_TOOLING_ANNOTATION, ApplySetState, KSFED_APPLYSET_ID, memberKey, parentManifest, parentProblem,
  parseParent, sameState, stateOf, TOOLING_NAME, toolingVersion, unionOf,
} from './applyset';
import { KubeApiError } from './errors';
import { FederationObject } from './federation';
import { KubeClient } from './kube-client';
import { mapLimit } from './limiter';
import { redactLiveValues } from './placeholders';
import { executePrune, pruneCandidates, stateAfterPrune } from './prune';
import { Redactor } from './redact';
import { ObjectResult } from './report';

/** What one cluster's ApplySet works on. */
export interface ApplySetOptions {
  readonly client: KubeClient;
  /** The cluster's name (in prune results). */
  readonly cluster: string;
  /** The objects of the cluster's folder: the new set. */
  readonly objects: FederationObject[];
  /** Namespaces the folder declares (kept by prune even when they hold nothing else of the set). */
  readonly declaredNamespaces?: string[];
  /** On the host: the federation's clusters, recorded on its parent. Undefined on a member. */
  readonly clusters?: string[];
  /** Hides values an earlier apply filled in (from the snapshot's live objects). */
  readonly redactor: Redactor;
  /** LISTs of the snapshot in flight at once. */
  readonly concurrency: number;
}

/** How `ApplySet.prune` runs. */
export interface ApplySetPruneOptions {
  readonly dryRun: boolean;
  /** Prune Namespaces that hold objects ksfed did not create (`--prune-nonempty-namespaces`). */
  readonly nonEmptyNamespaces?: boolean;
  readonly signal?: AbortSignal;
  /** Each pruned or kept member, as it happens. */
  readonly onResult?: (result: ObjectResult) => void;
  /** A note (a group-kind that cannot be pruned). */
  readonly onNote?: (message: string) => void;
  /** The summary when an abort stops the prune between deletions (an AbortedError follows). */
  readonly onInterrupted?: (summary: string) => void;
}

/**
 * One cluster's ApplySet (KEP-3659) during a run: its parent (read, checked, and the superset of old and new
 * group-kinds and namespaces recorded before anything is applied), the label that makes each object a member, the
 * live members before the apply, and the prune of the members the new set no longer holds.
 */
export class ApplySet {
  /**
   * Reads the parent (`known`: as the preflight read it, which saves the request) and works out what to record.
   * A parent ksfed must not use is not an error here: see `problem`.
   */
  public static async read(options: ApplySetOptions, known?: { parent?: any }): Promise<ApplySet> {
    const parent = known ? known.parent : await options.client.get(APPLYSET_PARENT);
    return new ApplySet(options, parent);
  }

  /** Why ksfed must not use this cluster's parent (another tool's, or not a parent), or undefined. */
  public readonly problem?: string;
  /** What the parent records now (empty without a parent). */
  public readonly recorded: ApplySetState;
  /** What the new set needs recorded (on the host, with the clusters). */
  public readonly desired: ApplySetState;
  /** The union of both: recorded before the apply, so an interrupted run leaves nothing the parent does not know. */
  public readonly superset: ApplySetState;
  private readonly live = new Map<string, any>();

  constructor(private readonly options: ApplySetOptions, private readonly parent: any | undefined) {
    this.problem = parentProblem(parent);
    this.recorded = parseParent(parent);
    // The host's parent also records the federation's clusters (a removed one stays until it is cleaned).
    const record = options.clusters ? { ...stateOf([]), clusters: [...this.recorded.clusters ?? [], ...options.clusters] } : stateOf([]);
    this.desired = unionOf(stateOf(options.objects), record);
    this.superset = unionOf(this.recorded, this.desired);
  }

  /** Whether the cluster has a parent (without one, nothing carries the ApplySet label yet). */
  public get exists(): boolean {
    return this.parent !== undefined;
  }

  /**
   * Whether the superset must be written to the parent before applying: no parent yet, a record that lacks part of
   * the superset, or a parent written by another version of ksfed.
   */
  public get needsWrite(): boolean {
    return !this.parent || !sameState(this.recorded, this.superset) || this.parent.metadata?.annotations?.[APPLYSET_TOOLING_ANNOTATION] !== `${TOOLING_NAME}/${toolingVersion()}`;
  }

  /** Writes the superset to the parent (server-side apply, at the given place in the cluster's queue). */
  public async writeSuperset(priority?: number): Promise<void> {
    await this.options.client.apply(parentManifest(this.superset), { force: true, ...(priority === undefined ? {} : { priority }) });
  }

  /**
   * Makes a rendered manifest of `o` a member: the ApplySet label is set on a copy of its labels. Throws when the
   * folder sets the label to another ApplySet.
   */
  public stamp(o: FederationObject, manifest: any): any {
    manifest.metadata = manifest.metadata ?? {};
    const labels = { ...(manifest.metadata.labels ?? {}) };
    if (labels[APPLYSET_PART_OF_LABEL] !== undefined && labels[APPLYSET_PART_OF_LABEL] !== KSFED_APPLYSET_ID) {
      throw new Error(`${o.file}: label ${APPLYSET_PART_OF_LABEL} is already set to another ApplySet (${labels[APPLYSET_PART_OF_LABEL]})`);
    }
    labels[APPLYSET_PART_OF_LABEL] = KSFED_APPLYSET_ID;
    manifest.metadata.labels = labels;
    return manifest;
  }

  /**
   * Lists the ApplySet's current members of the kinds the folder holds: one LIST per kind over the whole cluster
   * (per namespace where that is forbidden), narrowed by the ApplySet label. Values an earlier apply filled in are
   * then hidden from every message (this run may not know them: a rotation).
   */
  public async snapshot(): Promise<void> {
    const { client, objects } = this.options;
    const kinds = new Map<string, { apiVersion: string; kind: string; namespaces: Set<string | undefined> }>();
    for (const o of objects) {
      const k = `${o.apiVersion}/${o.kind}`;
      if (!kinds.has(k)) kinds.set(k, { apiVersion: o.apiVersion, kind: o.kind, namespaces: new Set() });
      kinds.get(k)!.namespaces.add(o.namespace);
    }
    const labelSelector = `${APPLYSET_PART_OF_LABEL}=${KSFED_APPLYSET_ID}`;
    const list = async (apiVersion: string, kind: string, namespace?: string) => {
      try {
        for (const item of await client.list(apiVersion, kind, { namespace, labelSelector })) {
          this.live.set(memberKey({ apiVersion, kind, namespace: item.metadata?.namespace || undefined, name: item.metadata?.name }), item);
        }
      } catch (e) {
        if (e instanceof KubeApiError && e.code === 404) return; // kind not served yet, or namespace missing: nothing there
        throw e;
      }
    };
    await mapLimit([...kinds.values()], this.options.concurrency, async k => {
      try {
        await list(k.apiVersion, k.kind);
      } catch (e) {
        if (!(e instanceof KubeApiError && e.code === 403) || k.namespaces.has(undefined)) throw e;
        for (const namespace of k.namespaces) await list(k.apiVersion, k.kind, namespace);
      }
    });
    for (const o of objects.filter(x => x.placeholders.length > 0)) {
      redactLiveValues(this.options.redactor, o.manifest, this.live.get(memberKey(o)));
    }
  }

  /** The live member of `o` the snapshot found, if any. */
  public member(o: FederationObject): any | undefined {
    return this.live.get(memberKey(o));
  }

  /**
   * Deletes (or, in a dry run, lists) the members the new set no longer holds, in reverse apply order, then shrinks
   * the parent to the new set (and what was kept) once every stale object is gone. Resolves with the summary
   * (`pruned N, kept M`). Stops between deletions when aborted: the parent still records the superset, so a re-run
   * finishes.
   */
  public async prune(options: ApplySetPruneOptions): Promise<string> {
    const { client, cluster, objects } = this.options;
    const keep = new Set(objects.map(o => memberKey(o)));
    const declaredNamespaces = new Set([...this.options.declaredNamespaces ?? [], ...objects.filter(o => o.kind === 'Namespace' && o.apiVersion === 'v1').map(o => o.name)]);
    const found = await pruneCandidates(client, this.superset, { keep, declaredNamespaces, nonEmptyNamespaces: options.nonEmptyNamespaces });
    for (const gk of found.unknown) options.onNote?.(`cannot prune ${gk}: the ApplySet parent does not record its apiVersion`);
    const { pruned } = await executePrune(client, cluster, found, {
      dryRun: options.dryRun,
      signal: options.signal,
      onResult: options.onResult,
      onInterrupted: (done, total) => options.onInterrupted?.(`interrupted after ${done} of ${total}; run again to finish`),
    });
    const after = stateAfterPrune(this.desired, found);
    if (!options.dryRun && found.unknown.length === 0 && !sameState(this.superset, after)) {
      await client.apply(parentManifest(after), { force: true });
    }
    return `${options.dryRun ? 'would prune' : 'pruned'} ${pruned}${found.kept.length ? `, kept ${found.kept.length}` : ''}`;
  }
}
