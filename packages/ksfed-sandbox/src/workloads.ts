import { JsonObject, nowRfc3339, stableStringify } from './json';
import { ObjectApi } from './object-api';
import { Random } from './random';
import { Scheduler } from './scheduler';
import { StoreEvent } from './store';

/** The field manager of the emulated kube-controller-manager. */
export const CONTROLLER_MANAGER = 'kube-controller-manager';

const WORKLOADS = ['apps/deployments', 'apps/statefulsets', 'apps/replicasets', 'apps/daemonsets', 'batch/jobs'];

/**
 * Workload readiness: `rolloutDelayMs` after a Deployment, StatefulSet, ReplicaSet, DaemonSet or Job is created or its
 * spec changes (generation bump), its status is written through the status subresource by `kube-controller-manager`
 * as if every replica became ready (`spec.replicas`, default 1; a DaemonSet runs on one node; a Job completes).
 * In between, the status is stale (`observedGeneration` < `generation`). No Pods are created.
 */
export class WorkloadController {
  private unsubscribe?: () => void;

  constructor(private readonly api: ObjectApi, private readonly scheduler: Scheduler, private readonly rolloutDelayMs: number) {}

  /** Starts watching workloads. */
  public start(): void {
    this.unsubscribe = this.api.store.subscribe((e) => this.onEvent(e));
  }

  /** Stops watching. */
  public stop(): void {
    this.unsubscribe?.();
  }

  private onEvent(e: StoreEvent): void {
    if (!WORKLOADS.includes(e.resource)) return;
    const key = `rollout/${e.resource}/${e.object.metadata.namespace}/${e.object.metadata.name}`;
    if (e.type === 'DELETED') {
      this.scheduler.cancel(key);
      return;
    }
    if (e.object.metadata.deletionTimestamp || isCurrent(e.resource, e.object)) return;
    if (this.scheduler.pending(key)) return;
    const { namespace, name } = e.object.metadata;
    this.scheduler.schedule(key, this.rolloutDelayMs, () => this.rollout(e.resource, namespace, name));
  }

  private rollout(resource: string, namespace: string, name: string): void {
    const [group, plural] = resource.split('/');
    const type = this.api.types.anyVersion(group, plural);
    if (!type) return;
    const live = this.api.find(type, namespace, name);
    if (!live || live.metadata.deletionTimestamp || isCurrent(resource, live)) return;
    this.api.writeStatus(type, namespace, name, readyStatus(type.kind, live), CONTROLLER_MANAGER);
  }
}

function isCurrent(resource: string, obj: JsonObject): boolean {
  if (resource === 'batch/jobs') return obj.status?.completionTime !== undefined;
  return obj.status?.observedGeneration === obj.metadata.generation;
}

/** The status of a workload whose every replica is up to date and available. */
export function readyStatus(kind: string, obj: JsonObject): JsonObject {
  const now = nowRfc3339();
  const n: number = typeof obj.spec?.replicas === 'number' ? obj.spec.replicas : 1;
  const generation = obj.metadata.generation;
  const revision = `${obj.metadata.name}-${Random.seedOf(stableStringify(obj.spec?.template ?? {})).toString(16).padStart(8, '0').slice(0, 10)}`;
  const counts = (fields: string[]) => Object.fromEntries(n > 0 ? fields.map((f) => [f, n]) : []);
  switch (kind) {
    case 'Deployment':
      return {
        observedGeneration: generation,
        ...counts(['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas']),
        conditions: [
          { type: 'Available', status: 'True', lastUpdateTime: now, lastTransitionTime: now, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
          { type: 'Progressing', status: 'True', lastUpdateTime: now, lastTransitionTime: now, reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${revision}" has successfully progressed.` },
        ],
      };
    case 'StatefulSet':
      return {
        observedGeneration: generation,
        replicas: n,
        ...counts(['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas']),
        currentRevision: revision,
        updateRevision: revision,
        collisionCount: 0,
      };
    case 'ReplicaSet':
      return { observedGeneration: generation, replicas: n, ...counts(['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) };
    case 'DaemonSet':
      return {
        observedGeneration: generation,
        currentNumberScheduled: 1,
        desiredNumberScheduled: 1,
        numberAvailable: 1,
        numberMisscheduled: 0,
        numberReady: 1,
        updatedNumberScheduled: 1,
      };
    default: {
      const completions = typeof obj.spec?.completions === 'number' ? obj.spec.completions : 1;
      return {
        startTime: now,
        completionTime: now,
        succeeded: completions,
        ready: 0,
        conditions: [{ type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now }],
      };
    }
  }
}
