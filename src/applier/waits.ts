import { formatDuration } from './duration';
import { AbortedError, KubeApiError, TimeoutError } from './errors';
import { groupOf } from './federation';
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

/** Readiness of a member's `Cluster` on the host: Ready, and AgentAvailable for agent (proxy) members. */
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
  return { ready: false, message: `waiting for condition${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${why.length ? ` (${why.join('; ')})` : ''}` };
}

/** The readiness check of an object's `waitFor` (from federation.json), if it has one. */
export function readinessFor(o: { apiVersion: string; kind: string; waitFor?: string }): ((obj: any) => Readiness) | undefined {
  if (o.waitFor === 'established' || (o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io')) return crdReadiness;
  if (o.waitFor === 'rollout' || (groupOf(o.apiVersion) === 'apps' && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind))) return rolloutReadiness;
  return undefined;
}

/** Options of `waitUntilReady`. */
export interface WaitOptions {
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** The run's deadline (epoch ms): the wait ends there too. */
  readonly deadline?: number;
  /** Told of each state change. */
  readonly onProgress?: (message: string) => void;
}

/**
 * Polls an object until `check` says ready. Throws a TimeoutError (with the last state) when the per-object
 * timeout or the run's deadline passes, an Error when `check` says it failed, an AbortedError when aborted.
 */
export async function waitUntilReady(client: KubeClient, ref: ObjectRef, check: (obj: any) => Readiness, options: WaitOptions): Promise<Readiness> {
  const clock = options.clock ?? REAL_CLOCK;
  const deadline = Math.min(clock.now() + options.timeoutMs, options.deadline ?? Infinity);
  let last = '';
  for (let poll = 0; ; poll++) {
    if (options.signal?.aborted) throw new AbortedError();
    let state: Readiness;
    try {
      state = check(await client.get(ref));
    } catch (e) {
      if (e instanceof KubeApiError && e.notServed) state = { ready: false, message: 'its kind is not served yet' };
      else throw e;
    }
    if (state.ready) return state;
    if (state.failed) throw new Error(state.failed);
    if (state.message !== last) {
      options.onProgress?.(state.message);
      last = state.message;
    }
    const delay = pollDelay(poll, options.pollIntervalMs);
    if (clock.now() + delay > deadline) {
      throw new TimeoutError(`timed out after ${formatDuration(options.timeoutMs)}: ${state.message}`);
    }
    await clock.sleep(delay, options.signal);
  }
}
