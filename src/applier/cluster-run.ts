import {
  APPLYSET_PARENT, APPLYSET_PART_OF_LABEL, APPLYSET_TOOLING_ANNOTATION, KSFED_APPLYSET_ID, memberKey, parentManifest, parentProblem, parseParent,
  sameState, stateOf, TOOLING_NAME, toolingVersion, unionOf,
} from './applyset';
import { UpstreamError } from './cross-cluster';
import { changes, comparable, describeChange } from './diff';
import { formatDuration } from './duration';
import { AbortedError, conflictsOf, KubeApiError, messageOf, TimeoutError, UsageError } from './errors';
import { FederationCluster, FederationObject, groupOf } from './federation';
import { FIELD_MANAGER, KubeClient, READ_PRIORITY } from './kube-client';
import { isNoOpApply } from './no-op';
import { mapLimit, objectDependencies, objectPriorities, phaseGroups, pollDelay } from './ordering';
import { redactLiveValues, secretPointers, sourceObject } from './placeholders';
import { executePrune, pruneCandidates, stateAfterPrune } from './prune';
import { ClusterReport, ObjectResult, objectName } from './report';
import { Session } from './session';
import { BatchWaiter, clusterReadiness, crdReadiness, readinessFor } from './waits';

/** What a cluster run does. */
export interface ClusterRunOptions {
  /** `diff` compares the dry-run result with the live object. */
  readonly mode: 'apply' | 'diff';
  readonly dryRun: boolean;
  readonly prune: boolean;
  /** Prune Namespaces that hold objects ksfed did not create (`--prune-nonempty-namespaces`). */
  readonly pruneNonEmptyNamespaces?: boolean;
  readonly forceConflicts: boolean;
  readonly signal?: AbortSignal;
}

/** The order of a folder's objects (see ClusterRun.schedule). */
interface Schedule {
  readonly deps: ReturnType<typeof objectDependencies>;
  /** Whether an object's readiness is checked after its apply. */
  readonly waits: (o: FederationObject) => boolean;
  /** Each object's place in the cluster's queue (higher first). */
  readonly priority: Map<FederationObject, number>;
  /** Objects some other object of the folder waits for. */
  readonly gating: Set<FederationObject>;
  readonly phases: ReturnType<typeof phaseGroups>;
}

/**
 * The steps of the critical path an object another cluster waits for stands for, beyond its own apply: the reaction
 * that cluster waits for (KubeSphere's on a member's `Cluster`), the wait itself, and that cluster's work after it.
 */
export const AWAITED_STEPS = 3;

/** Thrown to end a cluster's run with a status. */
class ClusterStop extends Error {
  constructor(public readonly status: ClusterReport['status'], message: string) {
    super(message);
  }
}

/**
 * Applies (or diffs) one cluster's folder: ApplySet bookkeeping, phases in order with server-side apply, waits,
 * the member's handshake with the host, then prune. Never throws (except a UsageError): the outcome is in the
 * returned report.
 */
export async function runCluster(session: Session, cluster: FederationCluster, options: ClusterRunOptions): Promise<ClusterReport> {
  const started = session.clock.now();
  const report: ClusterReport = { name: cluster.name, role: cluster.role, context: session.contexts.get(cluster.name), status: 'succeeded', durationMs: 0, objects: [] };
  try {
    // (made inside: a cluster whose API client cannot be made fails alone, with the reason)
    await new ClusterRun(session, cluster, options, report).execute();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof ClusterStop) {
      report.status = e.status;
      report.error = session.redactor.redact(e.message);
    } else if (e instanceof AbortedError || options.signal?.aborted) {
      report.status = 'aborted';
      report.error = 'aborted before it finished; run again to converge';
    } else if (e instanceof TimeoutError) {
      report.status = 'timed-out';
      report.error = session.redactor.redact(e.message);
    } else {
      report.status = 'failed';
      report.error = session.redactor.redact(describeError(e));
    }
  }
  // Results in file order (objects of a phase finish in any order), pruned objects last.
  report.objects.sort((a, b) => (a.file === undefined ? 1 : 0) - (b.file === undefined ? 1 : 0) || ((a.file ?? '') < (b.file ?? '') ? -1 : (a.file ?? '') > (b.file ?? '') ? 1 : 0));
  if (report.status !== 'succeeded' && report.prune === undefined && options.prune) report.prune = `skipped: the cluster ${report.status === 'aborted' ? 'run was aborted' : 'did not succeed'}`;
  report.durationMs = session.clock.now() - started;
  session.board.end(cluster.name, report.status);
  session.emit({ type: 'cluster-done', cluster: cluster.name, report });
  return report;
}

class ClusterRun {
  private readonly client: KubeClient;
  /** Objects not applied because another cluster's run did not provide what they need (by object name). */
  private readonly upstream = new Map<string, UpstreamError>();
  /** Live members of the ApplySet before the apply, by member key. */
  private live = new Map<string, any>();
  private readonly results = new Map<FederationObject, number>();
  private waiter?: BatchWaiter;

  constructor(
    private readonly session: Session,
    private readonly cluster: FederationCluster,
    private readonly options: ClusterRunOptions,
    private readonly report: ClusterReport,
  ) {
    this.client = session.client(cluster.name);
  }

  public async execute(): Promise<void> {
    const { session, cluster, options } = this;
    session.emit({ type: 'cluster-start', cluster: cluster.name, objects: cluster.objects.length });
    if (options.prune && cluster.objects.length === 0) {
      throw new ClusterStop('failed', `refusing to prune: the folder of ${cluster.name} holds no objects, so pruning would delete everything ksfed applied there`);
    }

    // The ApplySet parent: read (the preflight already did), check who owns it.
    const pre = session.preflight.get(cluster.name);
    const parent = pre && !pre.error ? pre.parent : await this.client.get(APPLYSET_PARENT);
    const problem = parentProblem(parent);
    if (problem) throw new ClusterStop('failed', problem);

    const recorded = parseParent(parent);
    // The host's parent also records the federation's clusters (a removed one stays until it is cleaned).
    const isHost = cluster.name === session.federation.host;
    const record = isHost ? { ...stateOf([]), clusters: [...recorded.clusters ?? [], ...session.federation.clusters.map(c => c.name)] } : stateOf([]);
    const desired = unionOf(stateOf(cluster.objects), record);
    const superset = unionOf(recorded, desired);
    // Every object is rendered in memory (placeholders filled, ApplySet label stamped) as soon as its values are
    // known; values from another cluster may take a while (the host's tower address), and only the objects that
    // hold them wait. Independent of that, at once: list the live members (without a parent nothing carries the
    // ApplySet label yet: nothing to list), and record the superset of old and new group-kinds and namespaces in
    // the parent before anything is applied (an interrupted run can then never leave objects the parent does
    // not know about).
    const rendered = new Map<FederationObject, Promise<any>>();
    for (const o of cluster.objects) {
      // An object without placeholders is sent as loaded (a shallow copy takes the ApplySet label).
      const p = o.placeholders.length === 0
        ? Promise.resolve().then(() => this.stamp(o, { ...o.manifest, metadata: { ...o.manifest.metadata } }))
        : session.resolver.render(o.manifest, cluster.name).then(m => this.stamp(o, m));
      p.catch(() => undefined);
      rendered.set(o, p);
    }
    const writeParent = !options.dryRun && (!parent || !sameState(recorded, superset) || this.toolingOutdated(parent));
    const bookkeeping = settleAll([
      ...(parent ? [this.snapshot()] : []),
      ...(writeParent ? [this.client.apply(parentManifest(superset), { force: true, priority: READ_PRIORITY + 1 })] : []),
    ]);
    bookkeeping.catch(() => undefined); // (awaited below)
    // The order of the objects is worked out while the parent is written (once that request is out).
    await new Promise(resolve => setImmediate(resolve));
    const schedule = this.schedule();
    await bookkeeping;

    this.checkTime();
    await this.applyAll(rendered, schedule);
    const bad = this.report.objects.filter(o => o.result === 'failed' || o.result === 'timed-out' || o.result === 'skipped');
    if (bad.length > 0) {
      const upstream = bad.filter(o => this.upstream.has(objectName(o)));
      if (upstream.length === bad.length) {
        const [first] = [...this.upstream.values()];
        const applied = this.report.objects.length - bad.length;
        throw new ClusterStop('skipped', applied === 0
          ? `not applied: it needs ${first.cluster} (${first.status}) to succeed first`
          : `${bad.length} object${bad.length > 1 ? 's' : ''} not applied (${bad.slice(0, 3).map(o => objectName(o)).join(', ')}${bad.length > 3 ? ', ...' : ''}): ${bad.length > 1 ? 'they need' : 'it needs'} ${first.cluster} (${first.status}) to succeed first`);
      }
      const timedOut = bad.every(o => o.result === 'timed-out' || o.result === 'skipped');
      throw new ClusterStop(timedOut ? 'timed-out' : 'failed', `${bad.length} object${bad.length > 1 ? 's' : ''} ${timedOut ? 'timed out' : 'failed'}: ${bad.slice(0, 3).map(o => objectName(o)).join(', ')}${bad.length > 3 ? ', ...' : ''}`);
    }

    if (!options.dryRun && cluster.role === 'member') await this.handshake();

    if (options.prune) {
      await this.prune(superset, desired);
    } else {
      this.report.prune = 'not requested';
    }
  }

  private stamp(o: FederationObject, manifest: any): any {
    manifest.metadata = manifest.metadata ?? {};
    const labels = { ...(manifest.metadata.labels ?? {}) };
    if (labels[APPLYSET_PART_OF_LABEL] !== undefined && labels[APPLYSET_PART_OF_LABEL] !== KSFED_APPLYSET_ID) {
      throw new ClusterStop('failed', `${o.file}: label ${APPLYSET_PART_OF_LABEL} is already set to another ApplySet (${labels[APPLYSET_PART_OF_LABEL]})`);
    }
    labels[APPLYSET_PART_OF_LABEL] = KSFED_APPLYSET_ID;
    manifest.metadata.labels = labels;
    return manifest;
  }

  private toolingOutdated(parent: any): boolean {
    return parent?.metadata?.annotations?.[APPLYSET_TOOLING_ANNOTATION] !== `${TOOLING_NAME}/${toolingVersion()}`;
  }

  /**
   * Lists the ApplySet's current members of the kinds this folder holds: one LIST per kind over the whole
   * cluster (per namespace where that is forbidden), narrowed by the ApplySet label.
   */
  private async snapshot(): Promise<void> {
    const kinds = new Map<string, { apiVersion: string; kind: string; namespaces: Set<string | undefined> }>();
    for (const o of this.cluster.objects) {
      const k = `${o.apiVersion}/${o.kind}`;
      if (!kinds.has(k)) kinds.set(k, { apiVersion: o.apiVersion, kind: o.kind, namespaces: new Set() });
      kinds.get(k)!.namespaces.add(o.namespace);
    }
    const labelSelector = `${APPLYSET_PART_OF_LABEL}=${KSFED_APPLYSET_ID}`;
    const list = async (apiVersion: string, kind: string, namespace?: string) => {
      try {
        for (const item of await this.client.list(apiVersion, kind, { namespace, labelSelector })) {
          this.live.set(memberKey({ apiVersion, kind, namespace: item.metadata?.namespace || undefined, name: item.metadata?.name }), item);
        }
      } catch (e) {
        if (e instanceof KubeApiError && e.code === 404) return; // kind not served yet, or namespace missing: nothing there
        throw e;
      }
    };
    await mapLimit([...kinds.values()], this.session.perClusterConcurrency, async k => {
      try {
        await list(k.apiVersion, k.kind);
      } catch (e) {
        if (!(e instanceof KubeApiError && e.code === 403) || k.namespaces.has(undefined)) throw e;
        for (const namespace of k.namespaces) await list(k.apiVersion, k.kind, namespace);
      }
    });
    // What an earlier apply filled in is hidden from every message too (this run may not know it: a rotation).
    for (const o of this.cluster.objects.filter(x => x.placeholders.length > 0)) {
      redactLiveValues(this.session.redactor, o.manifest, this.live.get(memberKey(o)));
    }
  }

  private resultOf(o: FederationObject): ObjectResult | undefined {
    const i = this.results.get(o);
    return i === undefined ? undefined : this.report.objects[i];
  }

  private record(o: FederationObject, result: Omit<ObjectResult, 'cluster' | 'apiVersion' | 'kind' | 'namespace' | 'name' | 'file' | 'phase' | 'constructPath'>): void {
    const full: ObjectResult = {
      cluster: this.cluster.name,
      apiVersion: o.apiVersion,
      kind: o.kind,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      name: o.name,
      file: o.file,
      phase: o.phase,
      constructPath: o.constructPath,
      ...result,
      ...(result.message ? { message: this.session.redactor.redact(result.message) } : {}),
    };
    const i = this.results.get(o);
    if (i === undefined) {
      this.results.set(o, this.report.objects.length);
      this.report.objects.push(full);
      if (!this.options.dryRun) this.session.board.settle(this.cluster.name, o, ['created', 'configured', 'unchanged'].includes(full.result));
    } else {
      this.report.objects[i] = full;
    }
    this.session.emit({ type: 'object', cluster: this.cluster.name, result: full });
  }

  private checkTime(): void {
    if (this.options.signal?.aborted) throw new AbortedError();
    if (this.session.clock.now() > this.session.deadline) throw new ClusterStop('timed-out', 'the global timeout passed before the apply finished');
  }

  /** What `applyAll` goes by: each object's dependencies and place in the queue, and which readiness to check. */
  private schedule(): Schedule {
    const { session, cluster, options } = this;
    const deps = objectDependencies(cluster.objects, session.federation.phases);
    const waits = (o: FederationObject) => !options.dryRun && readinessFor(o) !== undefined;
    const base = objectPriorities(cluster.objects, deps, waits);
    const awaited = this.awaitedElsewhere();
    // What other clusters wait for counts AWAITED_STEPS more steps of its chain (objectPriorities' unit, one per
    // object count): it goes before everything else of this folder except the first objects of a longer chain
    // of the folder's own (on a host: its webhook's Namespace, ServiceAccount, Secret and Deployment, whose
    // rollout gates every object the webhook admits). Reads still go first.
    const boost = AWAITED_STEPS * (cluster.objects.length + 1);
    const priority = new Map(cluster.objects.map(o => [o, Math.min(READ_PRIORITY - 1, (base.get(o) ?? 0) + (awaited.has(o) ? boost : 0))]));
    const gating = new Set([...deps.values()].flatMap(list => list.map(d => d.on)));
    return { deps, waits, priority, gating, phases: phaseGroups(cluster.objects, session.federation.phases) };
  }

  /**
   * Applies every object as soon as what it depends on (objectDependencies) is applied and ready and its values
   * are known. The cluster's client sends at most `perClusterConcurrency` requests at once, what gates the most
   * work first (reads and objects other clusters wait for before anything else). Readiness nothing here waits
   * for is checked once the last object of its kind is applied, with one request per kind, while the rest goes
   * out. An object whose dependency did not succeed is skipped. (runCluster puts the report in file order.)
   */
  private async applyAll(rendered: Map<FederationObject, Promise<any>>, schedule: Schedule): Promise<void> {
    const { session, cluster } = this;
    const { deps, waits, priority, gating, phases } = schedule;
    this.waiter = new BatchWaiter(this.client, {
      pollIntervalMs: session.pollIntervalMs,
      clock: session.clock,
      signal: this.options.signal,
      deadline: session.deadline,
      labelSelector: `${APPLYSET_PART_OF_LABEL}=${KSFED_APPLYSET_ID}`,
    });
    const announced = new Set<string>();
    const good = (o: FederationObject) => ['created', 'configured', 'unchanged'].includes(this.resultOf(o)?.result ?? '');

    // Readiness nothing in this folder waits for, by kind: checked together once no object of the kind is left
    // to apply (one LIST instead of a poll per object while other objects still go out).
    const later = new Map<string, { left: number; ready: [FederationObject, any][] }>();
    const kindOf = (o: FederationObject) => `${o.apiVersion}/${o.kind}`;
    for (const o of cluster.objects.filter(x => waits(x) && !gating.has(x))) {
      const k = later.get(kindOf(o)) ?? { left: 0, ready: [] };
      k.left++;
      later.set(kindOf(o), k);
    }
    const checks: Promise<void>[] = [];
    const done = (o: FederationObject, applied?: { answer: any }) => {
      const k = later.get(kindOf(o))!;
      if (applied) k.ready.push([o, applied.answer]);
      if (--k.left > 0) return;
      for (const [x, answer] of k.ready) {
        const check = this.waitObject(x, answer);
        check.catch(() => undefined); // (awaited below; an abort must not go unhandled meanwhile)
        checks.push(check);
      }
    };

    const runs = new Map<FederationObject, Promise<boolean>>();
    const run = (o: FederationObject): Promise<boolean> => {
      let p = runs.get(o);
      if (!p) {
        const deferred = waits(o) && !gating.has(o);
        let applied: { answer: any } | undefined;
        p = (async () => {
          const needs = deps.get(o) ?? [];
          const ok = await Promise.all(needs.map(d => run(d.on)));
          const missing = needs.filter((_, i) => !ok[i]).map(d => d.on);
          if (missing.length > 0) {
            const cause = missing.map(m => this.upstream.get(objectName(m))).find(u => u !== undefined);
            if (cause) this.upstream.set(objectName(o), cause);
            const what = missing.slice(0, 3).map(m => `${objectName(m)} (${this.resultOf(m)?.result ?? 'not applied'})`).join(', ');
            this.record(o, { result: 'skipped', message: `not applied: it needs ${what}${missing.length > 3 ? ', ...' : ''} first` });
            return false;
          }
          let manifest: any;
          try {
            manifest = await rendered.get(o);
          } catch (e) {
            if (e instanceof AbortedError || e instanceof UsageError) throw e;
            if (e instanceof ClusterStop) {
              this.record(o, { result: 'failed', message: e.message });
            } else if (e instanceof UpstreamError) {
              this.upstream.set(objectName(o), e);
              this.record(o, { result: 'skipped', message: `not applied: ${e.message}` });
            } else {
              this.record(o, { result: e instanceof TimeoutError ? 'timed-out' : 'failed', message: messageOf(e) });
            }
            return false;
          }
          if (!announced.has(o.phase)) {
            announced.add(o.phase);
            session.emit({ type: 'phase', cluster: cluster.name, phase: o.phase, objects: phases.find(g => g.phase === o.phase)?.objects.length ?? 0 });
          }
          const answer = await this.applyObject(o, manifest, priority.get(o) ?? 0);
          if (!good(o)) return false;
          if (deferred) {
            applied = { answer };
            return true;
          }
          if (waits(o)) await this.waitObject(o, answer);
          return good(o);
        })();
        if (deferred) p = p.finally(() => done(o, applied));
        runs.set(o, p);
      }
      return p;
    };
    await settleAll(cluster.objects.map(run));
    await settleAll(checks);
  }

  /**
   * The objects of this folder other clusters' runs wait for: the sources of their placeholders (the tower
   * Service whose address agents dial, a Secret) and, on the host, the members' `Cluster` objects.
   */
  private awaitedElsewhere(): Set<FederationObject> {
    const { session, cluster } = this;
    const byKey = new Map(cluster.objects.map(o => [memberKey(o), o]));
    const out = new Set<FederationObject>();
    for (const p of session.federation.placeholders) {
      const from = sourceObject(p.source, session.federation.host);
      const o = from?.cluster === cluster.name && p.occurrences.some(x => x.cluster !== cluster.name) ? byKey.get(memberKey(from.ref)) : undefined;
      if (o) out.add(o);
    }
    if (cluster.name === session.federation.host) {
      for (const m of session.federation.clusters.filter(x => x.role === 'member')) {
        const o = byKey.get(memberKey({ apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', name: m.name }));
        if (o) out.add(o);
      }
    }
    return out;
  }

  /** Applies one object (retrying while its kind is not served yet) and records the outcome; resolves with the answer. */
  private async applyObject(o: FederationObject, manifest: any, priority: number): Promise<any> {
    const { session, options } = this;
    const key = memberKey(o);
    // Already as the folder says, fields owned by ksfed exactly as the manifest sets them: an apply would change
    // nothing, so none is sent (a re-apply of an unchanged folder sends no PATCH at all).
    const before = this.live.get(key);
    if (isNoOpApply(manifest, before, FIELD_MANAGER)) {
      this.record(o, { result: 'unchanged' });
      return before;
    }
    const started = session.clock.now();
    let waiting = false;
    for (let poll = 0; ; poll++) {
      if (options.signal?.aborted) throw new AbortedError();
      if (session.clock.now() > session.deadline) {
        this.record(o, { result: 'skipped', message: 'the global timeout passed before it was applied' });
        return;
      }
      try {
        const { object, created } = await this.client.apply(manifest, { dryRun: options.dryRun, force: options.forceConflicts, priority });
        if (options.dryRun) {
          await this.recordDryRun(o, object);
        } else {
          const result = created ? 'created' : before && before.metadata?.resourceVersion === object?.metadata?.resourceVersion ? 'unchanged' : 'configured';
          this.record(o, { result });
        }
        return object;
      } catch (e) {
        if (e instanceof AbortedError) throw e;
        const err = e instanceof KubeApiError ? e : undefined;
        const notYet = err && (err.notServed || /failed calling webhook|no endpoints available/i.test(err.message));
        if (notYet && options.dryRun) {
          const crdHere = this.cluster.objects.some(x => x.kind === 'CustomResourceDefinition' && x.name.endsWith(`.${groupOf(o.apiVersion)}`));
          if (err.notServed && crdHere) {
            this.record(o, { result: 'created', message: 'its kind is served once its CRD from this folder is established' });
          } else {
            this.record(o, { result: 'failed', message: err.message });
          }
          return;
        }
        if (notYet) {
          const limit = Math.min(started + session.waitTimeoutMs, session.deadline);
          const delay = pollDelay(poll, session.pollIntervalMs);
          if (session.clock.now() + delay > limit) {
            this.record(o, { result: 'timed-out', message: `timed out after ${formatDuration(session.clock.now() - started)}: ${err.message}` });
            return;
          }
          if (!waiting) {
            session.emit({ type: 'wait', cluster: this.cluster.name, object: objectName(o), message: err.message });
            waiting = true;
          }
          await session.clock.sleep(delay, options.signal);
          continue;
        }
        if (err && err.code === 404 && options.dryRun && o.namespace && this.cluster.objects.some(x => x.kind === 'Namespace' && x.name === o.namespace)) {
          this.record(o, { result: 'created', message: 'its namespace is created by this apply' });
          return;
        }
        if (err && err.code === 409) {
          const conflicts = conflictsOf(err);
          const who = conflicts.length > 0 ? conflicts.map(c => `${c.field} is owned by "${c.manager}"`).join('; ') : err.message;
          this.record(o, { result: 'failed', conflicts, message: `conflict: ${who}. Fix: rerun with --force-conflicts to take ${conflicts.length > 1 ? 'them' : 'it'} over, or stop the other manager` });
          return;
        }
        this.record(o, { result: 'failed', message: describeError(e) });
        return;
      }
    }
  }

  /**
   * Once a CRD of this folder is Established (with the names it asks for): waits until the server serves the kind
   * at the versions this folder's objects use, so that none of them is sent before. A real API server serves a new
   * kind a moment after it says Established (its CRD handler and discovery learn of it from an informer; on an HA
   * control plane, each instance on its own), so for a CRD this run created or changed that takes a discovery
   * request (shared by the CRDs of a group version established meanwhile), asked again until it lists the kind.
   * A CRD that was Established and unchanged already is trusted: its kinds are known without a request.
   */
  private async discover(crd: FederationObject): Promise<void> {
    const { session, options } = this;
    const spec = crd.manifest?.spec ?? {};
    const kind = spec.names?.kind;
    const used = [...new Set(this.cluster.objects.filter(x => x.kind === kind && groupOf(x.apiVersion) === spec.group).map(x => x.apiVersion))];
    if (used.length === 0 || this.resultOf(crd)?.result === 'unchanged') {
      this.client.learnKinds(crd.manifest);
      return;
    }
    const started = session.clock.now();
    const limit = Math.min(started + session.waitTimeoutMs, session.deadline);
    for (const apiVersion of used) {
      for (let poll = 0; !(await this.client.served(apiVersion, kind)); poll++) {
        const delay = pollDelay(poll, session.pollIntervalMs);
        const waiting = `established, but ${apiVersion}/${kind} is not served yet (discovery does not list it)`;
        if (session.clock.now() + delay > limit) throw new TimeoutError(`timed out after ${formatDuration(session.clock.now() - started)}: ${waiting}`);
        if (poll === 0) session.emit({ type: 'wait', cluster: this.cluster.name, object: objectName(crd), message: waiting });
        await session.clock.sleep(delay, options.signal);
      }
    }
  }

  /** A dry run: created, unchanged or configured (with the changed paths), against the live object. */
  private async recordDryRun(o: FederationObject, result: any): Promise<void> {
    let live = this.live.get(memberKey(o));
    if (!live) live = await this.client.get(o);
    if (!live) {
      this.record(o, { result: 'created' });
      return;
    }
    redactLiveValues(this.session.redactor, o.manifest, live);
    const found = changes(comparable(live), comparable(result));
    if (found.length === 0) {
      this.record(o, { result: 'unchanged' });
    } else {
      // (values where a placeholder stands are never shown, on either side)
      const secret = secretPointers(this.session.federation, o);
      this.record(o, { result: 'configured', changes: found.map(c => this.session.redactor.redact(describeChange(o.kind, c, secret))) });
    }
  }

  /** Waits for an applied object to be ready (`answer`: its state in the apply's answer, checked first). */
  private async waitObject(o: FederationObject, answer: any): Promise<void> {
    const check = readinessFor(o)!;
    try {
      await this.waiter!.wait(o, check, this.session.waitTimeoutMs, answer,
        message => this.session.emit({ type: 'wait', cluster: this.cluster.name, object: objectName(o), message }));
      if (check === crdReadiness) await this.discover(o);
    } catch (e) {
      if (e instanceof AbortedError) throw e;
      const previous = this.resultOf(o);
      this.record(o, { result: e instanceof TimeoutError ? 'timed-out' : 'failed', message: `${previous ? `${previous.result}, but ` : ''}${messageOf(e)}` });
    }
  }

  /**
   * A member is joined when its `Cluster` on the host is Ready (and, for an agent member, AgentAvailable). When
   * this run applies that `Cluster`, the wait starts once it is applied, and ends at once if the host's run ends
   * without it. Every member's wait shares one poll of the host's `Cluster` objects.
   */
  private async handshake(): Promise<void> {
    const { session } = this;
    const host = session.federation.clusters.find(c => c.name === session.federation.host);
    const clusterObject = host?.objects.find(o => o.kind === 'Cluster' && groupOf(o.apiVersion) === 'cluster.kubesphere.io' && o.name === this.cluster.name);
    if (!host || !clusterObject) return;
    const what = `Cluster ${this.cluster.name} on ${host.name}`;
    try {
      await session.board.applied(host.name, clusterObject, what);
    } catch (e) {
      if (e instanceof UpstreamError) throw new ClusterStop('skipped', `not joined: ${e.message}`);
      throw e;
    }
    try {
      await session.waiter(host.name).wait(clusterObject, clusterReadiness, session.waitTimeoutMs, undefined,
        message => session.emit({ type: 'wait', cluster: this.cluster.name, object: what, message }));
      session.emit({ type: 'info', cluster: this.cluster.name, message: `joined: ${what} is ${this.cluster.connection === 'proxy' ? 'AgentAvailable and ' : ''}Ready` });
    } catch (e) {
      if (e instanceof AbortedError) throw e;
      throw new ClusterStop(e instanceof TimeoutError ? 'timed-out' : 'failed', `not joined: ${what}: ${messageOf(e)}`);
    }
  }

  private async prune(superset: ReturnType<typeof unionOf>, desired: ReturnType<typeof stateOf>): Promise<void> {
    const { session, options, cluster } = this;
    const keep = new Set(cluster.objects.map(o => memberKey(o)));
    const declaredNamespaces = new Set([...cluster.federatedNamespaces ?? [], ...cluster.objects.filter(o => o.kind === 'Namespace' && o.apiVersion === 'v1').map(o => o.name)]);
    const found = await pruneCandidates(this.client, superset, { keep, declaredNamespaces, nonEmptyNamespaces: options.pruneNonEmptyNamespaces });
    for (const gk of found.unknown) session.emit({ type: 'info', cluster: cluster.name, message: `cannot prune ${gk}: the ApplySet parent does not record its apiVersion` });
    // Stops between deletions when aborted: the parent still records the superset, so a re-run finishes.
    const { pruned } = await executePrune(this.client, cluster.name, found, {
      dryRun: options.dryRun,
      signal: options.signal,
      onResult: result => {
        this.report.objects.push(result);
        session.emit({ type: 'object', cluster: cluster.name, result });
      },
      onInterrupted: (done, total) => this.report.prune = `interrupted after ${done} of ${total}; run again to finish`,
    });
    // Shrink the parent to the new set (and what was kept) once every stale object is gone.
    const after = stateAfterPrune(desired, found);
    if (!options.dryRun && found.unknown.length === 0 && !sameState(superset, after)) {
      await this.client.apply(parentManifest(after), { force: true });
    }
    this.report.prune = `${options.dryRun ? 'would prune' : 'pruned'} ${pruned}${found.kept.length ? `, kept ${found.kept.length}` : ''}`;
  }
}

/** Waits for every promise to settle, then throws the first rejection (nothing keeps running behind a failure). */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const outcomes = await Promise.allSettled(promises);
  const failed = outcomes.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** One line for an error, without a stack. */
export function describeError(e: unknown): string {
  if (e instanceof KubeApiError) {
    if (e.code === 0) return e.message;
    return `${e.code} ${e.reason}: ${e.message}`;
  }
  return messageOf(e).split('\n')[0];
}
