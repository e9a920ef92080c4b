import { ObjectApi } from './object-api';
import { Scheduler } from './scheduler';
import { StoreEvent } from './store';

/**
 * A cloud load-balancer controller: shortly after a Service of type LoadBalancer appears, its
 * `status.loadBalancer.ingress[0].ip` gets a fake address from `nextIp` (written by `cloud-controller-manager`).
 */
export class LoadBalancerController {
  private unsubscribe?: () => void;

  constructor(
    private readonly api: ObjectApi,
    private readonly scheduler: Scheduler,
    private readonly delayMs: number,
    private readonly nextIp: () => string,
  ) {}

  /** Starts watching Services. */
  public start(): void {
    this.unsubscribe = this.api.store.subscribe((e) => this.onEvent(e));
  }

  /** Stops watching. */
  public stop(): void {
    this.unsubscribe?.();
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource !== '/services' || e.type === 'DELETED') return;
    const { namespace, name } = e.object.metadata;
    if (e.object.spec?.type !== 'LoadBalancer' || e.object.status?.loadBalancer?.ingress?.length > 0) return;
    const key = `lb/${namespace}/${name}`;
    if (this.scheduler.pending(key)) return;
    this.scheduler.schedule(key, this.delayMs, () => {
      const type = this.api.typeOf('v1', 'Service');
      const live = this.api.find(type, namespace, name);
      if (!live || live.spec?.type !== 'LoadBalancer' || live.status?.loadBalancer?.ingress?.length > 0) return;
      this.api.writeStatus(type, namespace, name, { ...(live.status ?? {}), loadBalancer: { ingress: [{ ip: this.nextIp() }] } },
        'cloud-controller-manager');
    });
  }
}
