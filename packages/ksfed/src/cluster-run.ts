import { APPLYSET_PART_OF_LABEL, KSFED_APPLYSET_ID, memberKey } from './applyset';
import { ApplySet } from './cluster-applyset';
import { UpstreamError } from './cross-cluster';
import { changes, comparable, describeChange } from './diff';
import { formatDuration } from './duration';
import { AbortedError, conflictsOf, KubeApiError, messageOf, TimeoutError, UsageError } from './errors';
import { FederationCluster, FederationObject, groupOf } from './federation';
import { explainJoin, formatFindings, JoinFinding } from './join-diagnosis';
import { KubeClient, READ_PRIORITY } from './kube-client';
import { isNoOpApply } from './no-op';
import { objectDependencies, objectPriorities, phaseGroups, pollDelay } from './ordering';
import { redactLiveValues, secretPointers, sourceObject } from './placeholders';
import { ClusterReport, ClusterStatus, ObjectResult, objectName } from './report';
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
 * What a cluster's run changed (or, for a dry run or a diff, would change), as values: runCluster makes the
 * cluster's report of it.
 */
export interface ChangeSet {
  /** Each object's outcome, in the order they were first recorded; pruned and kept members as prune reported them. */
  readonly objects: ObjectResult[];
  /** What prune did (`pruned N`, `not requested`, interrupted), or undefined when the run ended before. */
  readonly prune?: string;
  /** Why a member did not join. */
  readonly join?: JoinFinding[];
}

/** How a cluster's run ended: its change set, and what stopped it (undefined when it went through). */
interface RunOutcome {
  readonly changes: ChangeSet;
  readonly failure?: unknown;
}

/**
 * Applies (or diffs) one cluster's folder: ApplySet bookkeeping, phases in order with server-side apply, waits,
 * the member's handshake with the host, then prune. Never throws (except a UsageError): the outcome is in the
 * returned report.
 */
export async function runCluster(session: Session, cluster: FederationCluster, options: ClusterRunOptions): Promise<ClusterReport> {
  const started = session.clock.now();
  let outcome: RunOutcome;
  try {
    // (made inside: a cluster whose API client cannot be made fails alone, with the reason)
    outcome = await new ClusterRun(session, cluster, options).execute();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    outcome = { changes: { objects: [] }, failure: e };
  }
  const { changes: changeSet, failure } = outcome;
  // Results in file order (objects of a phase finish in any order), pruned objects last.
  const objects = [...changeSet.objects].sort((a, b) => (a.file === undefined ? 1 : 0) - (b.file === undefined ? 1 : 0) || ((a.file ?? '') < (b.file ?? '') ? -1 : (a.file ?? '') > (b.file ?? '') ? 1 : 0));
  const report: ClusterReport = { name: cluster.name, role: cluster.role, context: session.contexts.get(cluster.name), status: 'succeeded', durationMs: 0, objects };
  if (changeSet.join) report.join = changeSet.join;
  if (changeSet.prune !== undefined) report.prune = changeSet.prune;
  if (failure !== undefined) {
    const { status, error } = describeFailure(session, options, failure);
    report.status = status;
    report.error = error;
  }
  if (report.status !== 'succeeded' && report.prune === undefined && options.prune) report.prune = `skipped: the cluster ${report.status === 'aborted' ? 'run was aborted' : 'did not succeed'}`;
  report.durationMs = session.clock.now() - started;
  session.board.end(cluster.name, report.status);
  session.emit({ type: 'cluster-done', cluster: cluster.name, report });
  return report;
}

/** The status and error of a cluster whose run was stopped by `e`. */
function describeFailure(session: Session, options: ClusterRunOptions, e: unknown): { status: ClusterStatus; error: string } {
  if (e instanceof ClusterStop) return { status: e.status, error: session.redactor.redact(e.message) };
  if (e instanceof AbortedError || options.signal?.aborted) return { status: 'aborted', error: 'aborted before it finished; run again to converge' };
  if (e instanceof TimeoutError) return { status: 'timed-out', error: session.redactor.redact(e.message) };
  return { status: 'failed', error: session.redactor.redact(describeError(e)) };
}

class ClusterRun {
  private readonly client: KubeClient;
  /** Objects not applied because another cluster's run did not provide what they need (by object name). */
  private readonly upstream = new Map<string, UpstreamError>();
  /** The cluster's ApplySet (read first in execute). */
  private applySet?: ApplySet;
  private readonly results = new Map<FederationObject, number>();
  private waiter?: BatchWaiter;
  /** The change set (see ChangeSet): what execute returns. */
  private readonly objects: ObjectResult[] = [];
  private pruned?: string;
  private join?: JoinFinding[];

  constructor(
    private readonly session: Session,
    private readonly cluster: FederationCluster,
    private readonly options: ClusterRunOptions,
  ) {
    this.client = session.client(cluster.name);
  }

  /** Runs the cluster's steps; resolves with the change set, and what stopped the run if something did (a UsageError is thrown). */
  public async execute(): Promise<RunOutcome> {
    try {
      await this.steps();
      return { changes: this.changeSet() };
    } catch (e) {
      if (e instanceof UsageError) throw e;
      return { changes: this.changeSet(), failure: e };
    }
  }

  private changeSet(): ChangeSet {
    return { objects: this.objects, ...(this.pruned !== undefined ? { prune: this.pruned } : {}), ...(this.join ? { join: this.join } : {}) };
  }

  private async steps(): Promise<void> {
    const { session, cluster, options } = this;
    session.emit({ type: 'cluster-start', cluster: cluster.name, objects: cluster.objects.length });
    if (options.prune && cluster.objects.length === 0) {
      throw new ClusterStop('failed', `refusing to prune: the folder of ${cluster.name} holds no objects, so pruning would delete everything ksfed applied there`);
    }

    // The ApplySet parent: read (the preflight already did), check who owns it.
    const pre = session.preflight.get(cluster.name);
    const applySet = await ApplySet.read({
      client: this.client,
      cluster: cluster.name,
      objects: cluster.objects,
      declaredNamespaces: cluster.federatedNamespaces,
      clusters: cluster.name === session.federation.host ? session.federation.clusters.map(c => c.name) : undefined,
      redactor: session.redactor,
      concurrency: session.perClusterConcurrency,
    }, pre && !pre.error ? { parent: pre.parent } : undefined);
    if (applySet.problem) throw new ClusterStop('failed', applySet.problem);
    this.applySet = applySet;
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
        ? Promise.resolve().then(() => applySet.stamp(o, { ...o.manifest, metadata: { ...o.manifest.metadata } }))
        : session.resolver.render(o.manifest, cluster.name).then(m => applySet.stamp(o, m));
      p.catch(() => undefined);
      rendered.set(o, p);
    }
    const bookkeeping = settleAll([
      ...(applySet.exists ? [applySet.snapshot()] : []),
      ...(!options.dryRun && applySet.needsWrite ? [applySet.writeSuperset(READ_PRIORITY + 1)] : []),
    ]);
    bookkeeping.catch(() => undefined); // (awaited below)
    // The order of the objects is worked out while the parent is written (once that request is out).
    await new Promise(resolve => setImmediate(resolve));
    const schedule = this.schedule();
    await bookkeeping;

    this.checkTime();
    await this.applyAll(rendered, schedule);
    const bad = this.objects.filter(o => o.result === 'failed' || o.result === 'timed-out' || o.result === 'skipped');
    if (bad.length > 0) {
      const upstream = bad.filter(o => this.upstream.has(objectName(o)));
      if (upstream.length === bad.length) {
        const [first] = [...this.upstream.values()];
        const applied = this.objects.length - bad.length;
        throw new ClusterStop('skipped', applied === 0
          ? `not applied: it needs ${first.cluster} (${first.status}) to succeed first`
          : `${bad.length} object${bad.length > 1 ? 's' : ''} not applied (${bad.slice(0, 3).map(o => objectName(o)).join(', ')}${bad.length > 3 ? ', ...' : ''}): ${bad.length > 1 ? 'they need' : 'it needs'} ${first.cluster} (${first.status}) to succeed first`);
      }
      const timedOut = bad.every(o => o.result === 'timed-out' || o.result === 'skipped');
      throw new ClusterStop(timedOut ? 'timed-out' : 'failed', `${bad.length} object${bad.length > 1 ? 's' : ''} ${timedOut ? 'timed out' : 'failed'}: ${bad.slice(0, 3).map(o => objectName(o)).join(', ')}${bad.length > 3 ? ', ...' : ''}`);
    }

    if (!options.dryRun && cluster.role === 'member') await this.handshake();

    if (options.prune) {
      await this.prune(applySet);
    } else {
      this.pruned = 'not requested';
    }
  }

  private resultOf(o: FederationObject): ObjectResult | undefined {
    const i = this.results.get(o);
    return i === undefined ? undefined : this.objects[i];
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
      this.results.set(o, this.objects.length);
      this.objects.push(full);
      if (!this.options.dryRun) this.session.board.settle(this.cluster.name, o, ['created', 'configured', 'unchanged'].includes(full.result));
    } else {
      this.objects[i] = full;
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
    // Already as the folder says, fields owned by ksfed's field manager exactly as the manifest sets them: an apply would change
    // nothing, so none is sent (a re-apply of an unchanged folder sends no PATCH at all).
    const before = this.applySet!.member(o);
    if (isNoOpApply(manifest, before, session.fieldManager)) {
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
    let live = this.applySet!.member(o);
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
   * without it. Every member's wait shares one poll of the host's `Cluster` objects. A join that does not complete
   * is explained (join-diagnosis.ts): the report names the causes and their fixes.
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
      // Not just "timed out": why, from the Cluster's conditions and the member's own state.
      const findings = session.redactor.redactDeep(await explainJoin({
        member: this.cluster.name,
        host: host.name,
        hostClient: session.client(host.name),
        memberClient: this.client,
        connection: this.cluster.connection,
      }));
      this.join = findings;
      throw new ClusterStop(e instanceof TimeoutError ? 'timed-out' : 'failed',
        `not joined: ${what}: ${messageOf(e)}. ${findings.length > 1 ? 'Causes' : 'Cause'}: ${formatFindings(findings)}`);
    }
  }

  private async prune(applySet: ApplySet): Promise<void> {
    const { session, options, cluster } = this;
    this.pruned = await applySet.prune({
      dryRun: options.dryRun,
      nonEmptyNamespaces: options.pruneNonEmptyNamespaces,
      signal: options.signal,
      onResult: result => {
        this.objects.push(result);
        session.emit({ type: 'object', cluster: cluster.name, result });
      },
      onNote: message => session.emit({ type: 'info', cluster: cluster.name, message }),
      onInterrupted: summary => this.pruned = summary,
    });
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
