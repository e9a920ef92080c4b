import { fail, formatMebibytes, formatMillicores, parseQuantity } from './_util';

/**
 * Requests and limits of one component container, as Kubernetes quantities.
 */
export interface ComponentSizeProps {
  /** CPU request, e.g. `100m`. */
  readonly cpuRequest: string;
  /**
   * CPU limit, e.g. `500m`.
   * @default - no CPU limit
   */
  readonly cpuLimit?: string;
  /** Memory request, e.g. `64Mi`. */
  readonly memoryRequest: string;
  /**
   * Memory limit, e.g. `512Mi`.
   * @default - no memory limit
   */
  readonly memoryLimit?: string;
}

/**
 * The resource requests and limits of a federation component.
 *
 * The static constants are the defaults KubeSphere v3.4.1 installs (facts sheet §3.2, §4);
 * `ComponentSize.of` builds another size and validates every quantity.
 */
export class ComponentSize {
  /** KubeFed controller-manager: 100m/500m CPU, 64Mi/512Mi memory (per replica). */
  public static readonly KUBEFED_CONTROLLER_MANAGER = ComponentSize.of({ cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '64Mi', memoryLimit: '512Mi' });
  /** KubeFed admission webhook: 100m/100m CPU, 64Mi/256Mi memory. */
  public static readonly KUBEFED_ADMISSION_WEBHOOK = ComponentSize.of({ cpuRequest: '100m', cpuLimit: '100m', memoryRequest: '64Mi', memoryLimit: '256Mi' });
  /** Tower proxy on the host: 100m/500m CPU, 128Mi/256Mi memory. */
  public static readonly TOWER = ComponentSize.of({ cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '128Mi', memoryLimit: '256Mi' });
  /** Cluster agent on a proxy member: 100m/1 CPU, 100M/200M memory (decimal megabytes, as upstream writes them). */
  public static readonly CLUSTER_AGENT = ComponentSize.of({ cpuRequest: '100m', cpuLimit: '1', memoryRequest: '100M', memoryLimit: '200M' });

  /**
   * A component size. Throws when a quantity is invalid or a request exceeds its limit.
   * @param props the CPU and memory requests and limits
   */
  public static of(props: ComponentSizeProps): ComponentSize {
    return new ComponentSize(props, 'ComponentSize.of');
  }

  /** CPU request as written. */
  public readonly cpuRequest: string;
  /** CPU limit as written, if any. */
  public readonly cpuLimit?: string;
  /** Memory request as written. */
  public readonly memoryRequest: string;
  /** Memory limit as written, if any. */
  public readonly memoryLimit?: string;
  /** CPU request in millicores. */
  public readonly cpuRequestMillis: number;
  /** Memory request in bytes. */
  public readonly memoryRequestBytes: number;

  private constructor(props: ComponentSizeProps, where: string) {
    this.cpuRequest = props.cpuRequest;
    this.cpuLimit = props.cpuLimit;
    this.memoryRequest = props.memoryRequest;
    this.memoryLimit = props.memoryLimit;
    const cpuRequest = quantity(where, 'cpuRequest', props.cpuRequest, '100m');
    const memoryRequest = quantity(where, 'memoryRequest', props.memoryRequest, '64Mi');
    this.cpuRequestMillis = cpuRequest * 1000;
    this.memoryRequestBytes = memoryRequest;
    if (props.cpuLimit !== undefined) {
      const limit = quantity(where, 'cpuLimit', props.cpuLimit, '500m');
      if (limit < cpuRequest) {
        fail(where, 'cpuLimit', props.cpuLimit, `it is below cpuRequest "${props.cpuRequest}"`, `raise cpuLimit to at least ${formatMillicores(cpuRequest * 1000)} or lower cpuRequest`);
      }
    }
    if (props.memoryLimit !== undefined) {
      const limit = quantity(where, 'memoryLimit', props.memoryLimit, '256Mi');
      if (limit < memoryRequest) {
        fail(where, 'memoryLimit', props.memoryLimit, `it is below memoryRequest "${props.memoryRequest}"`, `raise memoryLimit to at least ${formatMebibytes(memoryRequest)} or lower memoryRequest`);
      }
    }
  }

  /**
   * The `resources` block of a container.
   * @internal
   */
  public _toKube(): any {
    const limits: { [key: string]: string } = {};
    if (this.cpuLimit !== undefined) limits.cpu = this.cpuLimit;
    if (this.memoryLimit !== undefined) limits.memory = this.memoryLimit;
    return {
      requests: { cpu: this.cpuRequest, memory: this.memoryRequest },
      ...(Object.keys(limits).length > 0 ? { limits } : {}),
    };
  }
}

function quantity(where: string, prop: string, value: string, example: string): number {
  const parsed = parseQuantity(value);
  if (parsed === undefined || parsed <= 0) {
    fail(where, prop, value, 'it is not a positive Kubernetes quantity', `write it like "${example}" (CPU: "250m", "1"; memory: "64Mi", "1Gi", "100M")`);
  }
  return parsed;
}
