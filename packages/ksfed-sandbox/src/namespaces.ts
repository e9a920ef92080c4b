import { JsonObject } from './json';
import { ObjectApi } from './object-api';
import { Scheduler } from './scheduler';
import { StoreEvent } from './store';
import { CONTROLLER_MANAGER } from './workloads';

/** A placeholder CA bundle: the sandbox has no TLS; this only mirrors the shape of the real ConfigMap. */
const FAKE_CA = '-----BEGIN CERTIFICATE-----\nc2FuZGJveC1ub3QtYS1yZWFsLWNlcnRpZmljYXRl\n-----END CERTIFICATE-----\n';

/**
 * The namespace controllers of kube-controller-manager: every new namespace gets the `default` ServiceAccount and the
 * `kube-root-ca.crt` ConfigMap (appliers that prune must leave these alone, as on a real cluster), and a namespace
 * marked for deletion is emptied and removed `delayMs` later (it stays `Terminating` in between, as on a real
 * cluster, so `kubectl delete -f` of a namespace and its contents still finds the contents).
 */
export class NamespaceController {
  private unsubscribe?: () => void;

  constructor(private readonly api: ObjectApi, private readonly scheduler: Scheduler, private readonly delayMs: number) {}

  /** Starts watching namespaces. */
  public start(): void {
    this.unsubscribe = this.api.store.subscribe((e) => this.onEvent(e));
  }

  /** Stops watching. */
  public stop(): void {
    this.unsubscribe?.();
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource !== '/namespaces') return;
    const ns: string = e.object.metadata.name;
    if (e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp && !this.scheduler.pending(`ns/${ns}`)) {
      this.scheduler.schedule(`ns/${ns}`, this.delayMs, () => this.api.emptyTerminatingNamespace(ns));
    }
    if (e.type !== 'ADDED') return;
    const sa = this.api.typeOf('v1', 'ServiceAccount');
    const cm = this.api.typeOf('v1', 'ConfigMap');
    const defaults: Array<[typeof sa, JsonObject]> = [
      [sa, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } }],
      [cm, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'kube-root-ca.crt',
          namespace: ns,
          annotations: {
            'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints '
              + 'such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
          },
        },
        data: { 'ca.crt': FAKE_CA },
      }],
    ];
    for (const [type, obj] of defaults) {
      if (!this.api.find(type, ns, obj.metadata.name)) this.api.create(type, ns, obj, { fieldManager: CONTROLLER_MANAGER });
    }
  }
}
