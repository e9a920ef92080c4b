import { readinessOf } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import { formatDuration } from './duration';
import { AbortedError, KubeApiError, TimeoutError } from './errors';
import { KubeClient, ObjectRef } from './kube-client';
import { pollDelay } from './ordering';
import { Clock, REAL_CLOCK } from './retry';

/** Where an object stands on its way to ready. */
export interface Readiness {
  readonly ready: boolean;
  /** Set when it will not get ready by waiting (e.g. a Deployment past its progress deadline). */
  readonly failed?: string;
  /** What it waits for, for progress output and timeout messages. */
  readonly message: string;
}

/** The condition `type` of an object's status, if present. */
export function conditionOf(obj: any, type: string): { status?: string; reason?: string; message?: string } | undefined {
  const conditions: any[] = Array.isArray(obj?.status?.conditions) ? obj.status.conditions : [];
  return conditions.find(c => c?.type === type);
}

/** Readiness of a CustomResourceDefinition: Established. */
export function crdReadiness(obj: any): Readiness {
  const names = conditionOf(obj, 'NamesAccepted');
  if (names?.status === 'False') return { ready: false, failed: `names not accepted: ${names.message ?? names.reason ?? ''}`.trim(), message: 'NamesAccepted=False' };
  const established = conditionOf(obj, 'Established');
  return established?.status === 'True' ? { ready: true, message: 'established' } : { ready: false, message: 'waiting for condition Established' };
}

/** Readiness of a Deployment, StatefulSet or DaemonSet rollout (observedGeneration, updated/available replicas). */
export function rolloutReadiness(obj: any): Readiness {
  const status = obj?.status ?? {};
  const generation = Number(obj?.metadata?.generation ?? 0);
  const observed = Number(status.observedGeneration ?? 0);
  if (observed < generation) return { ready: false, message: `waiting for the controller to observe generation ${generation}` };
  if (obj?.kind === 'DaemonSet') {
    const desired = Number(status.desiredNumberScheduled ?? 0);
    const updated = Number(status.updatedNumberScheduled ?? 0);
    const available = Number(status.numberAvailable ?? 0);
    return updated >= desired && available >= desired ? { ready: true, message: `${available}/${desired} available` } : { ready: false, message: `${available}/${desired} available, ${updated} updated` };
  }
  const progressing = conditionOf(obj, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { ready: false, failed: `rollout failed: ${progressing.message ?? 'progress deadline exceeded'}`, message: 'ProgressDeadlineExceeded' };
  }
  const replicas = obj?.spec?.replicas === undefined || obj?.spec?.replicas === null ? 1 : Number(obj.spec.replicas);
  const updated = Number(status.updatedReplicas ?? 0);
  const available = Number((obj?.kind === 'StatefulSet' ? status.readyReplicas : status.availableReplicas) ?? 0);
  const total = Number(status.replicas ?? updated);
  if (updated === replicas && available === replicas && total <= replicas) return { ready: true, message: `${available}/${replicas} available` };
  return { ready: false, message: `${available}/${replicas} available, ${updated}/${replicas} updated` };
}

/**
 * Readiness of a member's `Cluster` on the host: Ready, and AgentAvailable for agent (proxy) members; the message
 * quotes the conditions that say False (Federated included).
 */
export function clusterReadiness(obj: any): Readiness {
  if (!obj) return { ready: false, message: 'the Cluster object does not exist' };
  const proxy = obj?.spec?.connection?.type === 'proxy';
  const missing: string[] = [];
  const why: string[] = [];
  for (const type of proxy ? ['AgentAvailable', 'Ready'] : ['Ready']) {
    const c = conditionOf(obj, type);
    if (c?.status === 'True') continue;
    missing.push(type);
    if (c?.status === 'False' && c.message) why.push(`${type}=False: ${c.message}`);
  }
  if (missing.length === 0) return { ready: true, message: proxy ? 'agent connected, Ready' : 'Ready' };
  // (KubeSphere writes a failed join as Federated False, with the error as its reason)
  const federated = conditionOf(obj, 'Federated');
  if (federated?.status === 'False') why.push(`Federated=False: ${[federated.reason, federated.message].filter(x => x).join(': ')}`);
  return { ready: false, message: `waiting for condition${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${why.length ? ` (${why.join('; ')})` : ''}` };
}

/** The readiness check of an object's `waitFor` (from federation.json), if it has one. */
export function readinessFor(o: { apiVersion: string; kind: string; waitFor?: string }): ((obj: any) => Readiness) | undefined {
  const rule = readinessOf(o.apiVersion, o.kind);
  if (o.waitFor === 'established' || rule === 'established') return crdReadiness;
  if (o.waitFor === 'rollout' || rule === 'rollout') return rolloutReadiness;
  return undefined;
}

/** Options of a `BatchWaiter`. */
export interface BatchWaitOptions {
  readonly pollIntervalMs: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** The run's deadline (epoch ms): every wait ends there too. */
  readonly deadline?: number;
  /** Label selector every waited object carries (narrows the LIST to them). */
  readonly labelSelector?: string;
}

interface PendingWait {
  readonly ref: ObjectRef;
  readonly check: (obj: any) => Readiness;
  readonly timeoutMs: number;
  readonly limit: number;
  readonly onProgress?: (message: string) => void;
  last: string;
  resolve(r: Readiness): void;
  reject(e: unknown): void;
}

/** `namespace/name` of an object or reference. */
function idOf(o: { namespace?: string; name?: string; metadata?: { namespace?: string; name?: string } }): string {
  return o.metadata ? `${o.metadata.namespace ?? ''}/${o.metadata.name}` : `${o.namespace ?? ''}/${o.name}`;
}

/**
 * Waits for objects of one cluster, per kind. With a client that can watch, one watch per kind follows every
 * pending object of that kind: each change is judged as the server reports it, with no poll interval in between
 * and no request queued behind the cluster's applies. Otherwise (or when a watch cannot start or breaks) one poll
 * loop per kind reads every pending object with one LIST (one GET when a single object waits). Each wait ends with
 * the readiness, a TimeoutError with the last state (per-object timeout or the run's deadline), an Error when
 * `check` says it failed, or an AbortedError when aborted.
 */
export class BatchWaiter {
  private readonly pending = new Map<string, PendingWait[]>();
  /** The latest state of each object of a kind under watch (by `namespace/name`), while the watch runs. */
  private readonly watched = new Map<string, Map<string, any>>();
  private readonly clock: Clock;

  constructor(private readonly client: KubeClient, private readonly options: BatchWaitOptions) {
    this.clock = options.clock ?? REAL_CLOCK;
  }

  /**
   * Waits for `ref` to be ready. `current` is the object as last seen (e.g. the answer of its apply): when it is
   * ready already, no request is sent.
   */
  public wait(
    ref: ObjectRef, check: (obj: any) => Readiness, timeoutMs: number, current?: any, onProgress?: (message: string) => void,
  ): Promise<Readiness> {
    if (this.options.signal?.aborted) return Promise.reject(new AbortedError());
    if (current !== undefined) {
      const state = check(current);
      if (state.ready) return Promise.resolve(state);
      if (state.failed) return Promise.reject(new Error(state.failed));
    }
    return new Promise<Readiness>((resolve, reject) => {
      const key = `${ref.apiVersion}/${ref.kind}`;
      const limit = Math.min(this.clock.now() + timeoutMs, this.options.deadline ?? Infinity);
      const waits = this.pending.get(key);
      const entry: PendingWait = { ref, check, timeoutMs, limit, onProgress, last: '', resolve, reject };
      if (waits) {
        waits.push(entry);
        // A watch running for the kind has seen the object's latest state already (if it exists).
        const seen = this.watched.get(key);
        if (seen?.has(idOf(ref))) this.judge(key, entry, seen.get(idOf(ref)));
      } else {
        this.pending.set(key, [entry]);
        void this.follow(key, ref.apiVersion, ref.kind);
      }
    });
  }

  /** Follows a kind until no wait of it is left: by watch when the client can, else (or after a watch failed) by polls. */
  private async follow(key: string, apiVersion: string, kind: string): Promise<void> {
    if (this.client.watch && await this.watchKind(key, apiVersion, kind)) return;
    await this.poll(key, apiVersion, kind);
  }

  /**
   * Watches a kind while waits of it are pending (a watch the server ends is started again). Expired waits are
   * timed out at least every poll interval (no request for that). True once no wait is left; false when a watch
   * could not start or broke (the caller polls instead).
   */
  private async watchKind(key: string, apiVersion: string, kind: string): Promise<boolean> {
    const seen = new Map<string, any>();
    this.watched.set(key, seen);
    try {
      for (;;) {
        const controller = new AbortController();
        const stop = () => controller.abort();
        this.options.signal?.addEventListener('abort', stop, { once: true });
        if (this.options.signal?.aborted) stop();
        const started = this.clock.now();
        let events = 0;
        let broken: unknown;
        const watching = this.client.watch!(apiVersion, kind, { labelSelector: this.options.labelSelector }, event => {
          events++;
          const id = idOf(event.object);
          const state = event.type === 'DELETED' ? undefined : event.object;
          if (state) seen.set(id, state);
          else seen.delete(id);
          for (const w of [...(this.pending.get(key) ?? [])]) if (idOf(w.ref) === id) this.judge(key, w, state);
          if ((this.pending.get(key) ?? []).length === 0) controller.abort();
        }, controller.signal).catch(e => {
          broken = e;
        }).finally(stop);
        await this.expire(key, seen, controller.signal);
        stop();
        await watching;
        this.options.signal?.removeEventListener('abort', stop);
        if (this.options.signal?.aborted) {
          this.settle(key, [...(this.pending.get(key) ?? [])], w => w.reject(new AbortedError()));
        }
        if ((this.pending.get(key) ?? []).length === 0) {
          this.pending.delete(key);
          return true;
        }
        // A watch that cannot start or breaks, or that the server ends at once with nothing to say: poll instead.
        if (broken !== undefined || (events === 0 && this.clock.now() - started < this.options.pollIntervalMs)) return false;
      }
    } finally {
      this.watched.delete(key);
    }
  }

  /**
   * Times out the waits of a kind whose limit passed, checking at least every poll interval, until `signal` aborts
   * or no wait is left.
   */
  private async expire(key: string, seen: Map<string, any>, signal: AbortSignal): Promise<void> {
    for (let waits = this.pending.get(key) ?? []; !signal.aborted && waits.length > 0; waits = this.pending.get(key) ?? []) {
      const next = Math.min(...waits.map(w => w.limit));
      await this.clock.sleep(Math.max(0, Math.min(next - this.clock.now(), this.options.pollIntervalMs)), signal).catch(() => undefined);
      if (signal.aborted) return;
      for (const w of [...(this.pending.get(key) ?? [])]) {
        if (this.clock.now() < w.limit) continue;
        const message = w.last || w.check(seen.get(idOf(w.ref))).message;
        this.settle(key, [w], x => x.reject(new TimeoutError(`timed out after ${formatDuration(x.timeoutMs)}: ${message}`)));
      }
    }
  }

  /** Settles a wait on the object's state (undefined: it does not exist), or reports the state when it changed. */
  private judge(key: string, w: PendingWait, obj: any): void {
    const state = w.check(obj);
    if (state.ready) {
      this.settle(key, [w], x => x.resolve(state));
    } else if (state.failed) {
      this.settle(key, [w], x => x.reject(new Error(state.failed)));
    } else if (state.message !== w.last) {
      w.onProgress?.(state.message);
      w.last = state.message;
    }
  }

  private async poll(key: string, apiVersion: string, kind: string): Promise<void> {
    for (let n = 0; ; n++) {
      // Let the objects applied in the same moment join the first poll.
      await this.clock.sleep(n === 0 ? 0 : pollDelay(n - 1, this.options.pollIntervalMs), this.options.signal).catch(() => undefined);
      const waits = this.pending.get(key) ?? [];
      if (this.options.signal?.aborted) {
        this.pending.delete(key);
        for (const w of waits) w.reject(new AbortedError());
        return;
      }
      let read: (w: PendingWait) => any;
      let notServed = false;
      try {
        if (waits.length === 1) {
          const obj = await this.client.get(waits[0].ref);
          read = () => obj;
        } else {
          const items = await this.client.list(apiVersion, kind, { labelSelector: this.options.labelSelector });
          const byName = new Map(items.map(i => [`${i.metadata?.namespace ?? ''}/${i.metadata?.name}`, i]));
          read = w => byName.get(`${w.ref.namespace ?? ''}/${w.ref.name}`);
        }
      } catch (e) {
        if (!(e instanceof KubeApiError && e.notServed)) {
          this.settle(key, [...waits], w => w.reject(e));
          if ((this.pending.get(key) ?? []).length === 0) {
            this.pending.delete(key);
            return;
          }
          continue;
        }
        notServed = true;
        read = () => undefined;
      }
      const delay = pollDelay(n, this.options.pollIntervalMs);
      for (const w of [...waits]) {
        const state: Readiness = notServed ? { ready: false, message: 'its kind is not served yet' } : w.check(read(w));
        if (state.ready) {
          this.settle(key, [w], x => x.resolve(state));
        } else if (state.failed) {
          this.settle(key, [w], x => x.reject(new Error(state.failed)));
        } else {
          if (state.message !== w.last) {
            w.onProgress?.(state.message);
            w.last = state.message;
          }
          if (this.clock.now() + delay > w.limit) {
            this.settle(key, [w], x => x.reject(new TimeoutError(`timed out after ${formatDuration(x.timeoutMs)}: ${state.message}`)));
          }
        }
      }
      if ((this.pending.get(key) ?? []).length === 0) {
        this.pending.delete(key);
        return;
      }
    }
  }

  private settle(key: string, which: PendingWait[], how: (w: PendingWait) => void): void {
    const waits = this.pending.get(key);
    for (const w of which) {
      if (waits) waits.splice(waits.indexOf(w), 1);
      how(w);
    }
  }
}
