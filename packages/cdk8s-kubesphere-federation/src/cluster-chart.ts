import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ClusterRole } from './_output';
import { checkLabels, cloneJson, dnsLabelProblem, fail, formatMebibytes, formatMillicores, labelValueProblem, parseQuantity, sortedKeys, suggestDnsLabel } from './_util';
import { ComponentSize } from './component-size';
import { Versions } from './versions';

/** Whether a cluster is visible to every workspace (`cluster.kubesphere.io/visibility`). */
export enum ClusterVisibility {
  /** Any workspace may be placed on it: the label `cluster.kubesphere.io/visibility: public` is set. */
  PUBLIC = 'public',
  /** Only users granted access to the cluster may place workspaces on it (no label). */
  PRIVATE = 'private',
}

/** What a cluster can give the federation components, declared by you. */
export interface ClusterCapacity {
  /**
   * Number of nodes. Decides the KubeFed controller-manager replicas on the host (2 from 3 nodes on, else 1).
   * @default - unknown: treated as fewer than 3 nodes
   */
  readonly nodes?: number;
  /**
   * Allocatable CPU left for the federation components, e.g. `2` or `1500m`.
   * @default - not checked
   */
  readonly cpu?: string;
  /**
   * Allocatable memory left for the federation components, e.g. `4Gi`.
   * @default - not checked
   */
  readonly memory?: string;
}

/**
 * Typed toggles of KubeSphere's pluggable components, written to the cluster's ClusterConfiguration.
 * Only the toggles you set are written; the rest stay as ks-installer has them. On a federation, each member
 * enables its own components (facts §7).
 */
export interface KubeSphereComponents {
  /** `alerting.enabled` @default - unchanged */
  readonly alerting?: boolean;
  /** `auditing.enabled` @default - unchanged */
  readonly auditing?: boolean;
  /** `devops.enabled` @default - unchanged */
  readonly devops?: boolean;
  /** `events.enabled` @default - unchanged */
  readonly events?: boolean;
  /** `logging.enabled` @default - unchanged */
  readonly logging?: boolean;
  /** `metrics_server.enabled` @default - unchanged */
  readonly metricsServer?: boolean;
  /** `network.networkpolicy.enabled` @default - unchanged */
  readonly networkPolicy?: boolean;
  /** `servicemesh.enabled` @default - unchanged */
  readonly serviceMesh?: boolean;
  /** `gatekeeper.enabled` @default - unchanged */
  readonly gatekeeper?: boolean;
  /** `edgeruntime.enabled` and `edgeruntime.kubeedge.enabled` @default - unchanged */
  readonly edgeRuntime?: boolean;
}

/** Props common to the host and the members. */
export interface ClusterOptions {
  /**
   * The cluster name: the `Cluster` object's name, the output folder's name, the default kubeconfig context.
   * A DNS-1123 label of at most 60 characters (tower names a Service `mc-<name>` after it). Never derived from
   * the construct id, so a refactor cannot rename a cluster.
   */
  readonly name: string;
  /**
   * Region, written as the `cluster.kubesphere.io/region` label.
   * @default - no region label
   */
  readonly region?: string;
  /**
   * Group tag, written as the `cluster.kubesphere.io/group` label (the console offers production, development,
   * testing and demo).
   * @default - no group label
   */
  readonly group?: string;
  /**
   * Provider, free text (`spec.provider`), e.g. `Amazon EKS`.
   * @default - unset for members, `kubesphere` for the host
   */
  readonly provider?: string;
  /**
   * More labels on the `Cluster` object; KubeSphere copies them to the KubeFedCluster, where placement selectors
   * match them.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Whether every workspace may be placed on this cluster.
   * @default ClusterVisibility.PRIVATE
   */
  readonly visibility?: ClusterVisibility;
  /**
   * Description shown in the console (`kubesphere.io/description` annotation).
   * @default - none
   */
  readonly description?: string;
  /**
   * The kubeconfig context `ksfed` uses for this cluster.
   * @default - the cluster name
   */
  readonly context?: string;
  /**
   * What the cluster can give the federation components; synth fails when they do not fit.
   * @default - not checked
   */
  readonly capacity?: ClusterCapacity;
  /**
   * KubeSphere pluggable components to switch on or off in this cluster's ClusterConfiguration.
   * @default - none changed
   */
  readonly components?: KubeSphereComponents;
}

const CLUSTER_CHART = Symbol.for('cdk8s-kubesphere-federation.ClusterChart');

/** The cluster charts of each federation (keyed by the app), in creation order: no tree walks on hot paths. */
const CLUSTERS = new WeakMap<IConstruct, ClusterChart[]>();

/**
 * The Host and Member charts of the federation `scope` belongs to, in creation order.
 * @internal
 */
export function clusterChartsOf(scope: IConstruct): ClusterChart[] {
  return [...(CLUSTERS.get(scope.node.root) ?? [])];
}

/** One component's share of a capacity check. */
interface ComponentDemand {
  readonly name: string;
  readonly replicas: number;
  readonly size: ComponentSize;
}

/**
 * A chart that holds everything one cluster of the federation gets: the base of `Host` and `Member`.
 */
export abstract class ClusterChart extends Chart {
  /**
   * Whether `x` is a Host or Member chart. (`instanceof` is not reliable: cdk8s makes every chart an
   * `instanceof` of every Chart subclass.)
   * @param x any value
   */
  public static isClusterChart(x: any): x is ClusterChart {
    return x !== null && typeof x === 'object' && CLUSTER_CHART in x;
  }

  /**
   * The ClusterChart a construct belongs to.
   * @param scope a construct inside a Host or Member
   */
  public static forScope(scope: IConstruct): ClusterChart {
    let current: IConstruct | undefined = scope;
    while (current) {
      if (ClusterChart.isClusterChart(current)) return current;
      current = current.node.scope;
    }
    throw new Error(`[${scope.node.path}] is not inside a Host or Member. Fix: create it with a Host or Member (or a construct inside one) as its scope`);
  }

  /** The cluster name. */
  public readonly clusterName: string;
  /** The cluster's role in the federation. */
  public readonly role: ClusterRole;
  /** The kubeconfig context `ksfed` uses for this cluster. */
  public readonly context: string;
  /** The declared capacity, if any. */
  public readonly capacity?: ClusterCapacity;
  /** The visibility of the cluster. */
  public readonly visibility: ClusterVisibility;
  private readonly _clusterLabels: { [key: string]: string };

  /**
   * Registers the cluster with its FederationApp; Host and Member call it.
   * @param scope the FederationApp
   * @param id the construct id
   * @param role host or member
   * @param options the cluster's name, labels, capacity and components
   */
  protected constructor(scope: Construct, id: string, role: ClusterRole, options: ClusterOptions) {
    super(scope, id);
    Object.defineProperty(this, CLUSTER_CHART, { value: true });
    const registered = CLUSTERS.get(this.node.root) ?? [];
    CLUSTERS.set(this.node.root, registered);
    const problem = dnsLabelProblem(options.name, 60);
    if (problem) {
      fail(this, 'name', options.name, `${problem} (at most 60, since tower names a Service "mc-<name>")`, `use a name like "${suggestDnsLabel(options.name, 60)}"`);
    }
    this.clusterName = options.name;
    this.role = role;
    this.context = options.context ?? options.name;
    if (this.context.trim().length === 0) fail(this, 'context', options.context, 'it is empty', 'omit it to use the cluster name');
    // In the interface's field order, whatever order the fields arrive in (federation.json writes it as is).
    const { nodes, cpu, memory } = options.capacity ?? {};
    this.capacity = options.capacity && cloneJson({ nodes, cpu, memory });
    this.visibility = options.visibility ?? ClusterVisibility.PRIVATE;

    checkLabels(this, 'labels', options.labels);
    const labels: { [key: string]: string } = { ...sortedKeys(options.labels) };
    for (const [prop, key] of [['region', 'cluster.kubesphere.io/region'], ['group', 'cluster.kubesphere.io/group']] as const) {
      const value = options[prop];
      if (value === undefined) continue;
      const valueProblem = labelValueProblem(value) ?? (value.length === 0 ? 'it is empty' : undefined);
      if (valueProblem) fail(this, prop, value, valueProblem, `use a label value like "${prop === 'region' ? 'eu-west' : 'production'}"`);
      labels[key] = value;
    }
    if (this.visibility === ClusterVisibility.PUBLIC) labels['cluster.kubesphere.io/visibility'] = 'public';
    this._clusterLabels = labels;
    this.checkCapacityShape();
    registered.push(this);
  }

  /** The labels of this cluster's `Cluster` object (which placement selectors match). Returns a copy. */
  public get clusterLabels(): { [key: string]: string } {
    return { ...this._clusterLabels };
  }

  /**
   * Creates this cluster's `Cluster` object in `scope` (the host chart).
   * @internal
   */
  protected _clusterObject(scope: Construct, id: string, options: ClusterOptions, labels: { [key: string]: string }, spec: any): ApiObject {
    const annotations = options.description ? { 'kubesphere.io/description': options.description } : undefined;
    return new ApiObject(scope, id, {
      apiVersion: 'cluster.kubesphere.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: this.clusterName, labels: { ...this._clusterLabels, ...labels }, ...(annotations ? { annotations } : {}) },
      spec,
    });
  }

  /**
   * Creates this cluster's ClusterConfiguration, the `ks-installer` object ks-installer reads (facts §2).
   * @internal
   */
  protected _clusterConfiguration(components: KubeSphereComponents | undefined, spec: any, status?: any): ApiObject {
    return new ApiObject(this, 'ClusterConfiguration', {
      apiVersion: 'installer.kubesphere.io/v1alpha1',
      kind: 'ClusterConfiguration',
      metadata: { name: 'ks-installer', namespace: 'kubesphere-system', labels: { version: Versions.KUBESPHERE } },
      spec: { ...componentToggles(components), ...spec },
      ...(status ? { status } : {}),
    });
  }

  /**
   * Fails when the components' requests exceed the declared capacity, saying by how much.
   * @internal
   */
  protected _checkCapacity(demands: ComponentDemand[]): void {
    const capacity = this.capacity;
    if (!capacity) return;
    const breakdown = (unit: (d: ComponentDemand) => string) => demands.map(d => `${d.name} ${d.replicas > 1 ? `${d.replicas}x` : ''}${unit(d)}`).join(', ');
    if (capacity.cpu !== undefined) {
      const available = parseQuantity(capacity.cpu)! * 1000;
      const needed = demands.reduce((sum, d) => sum + d.replicas * d.size.cpuRequestMillis, 0);
      if (needed > available + 1e-9) {
        fail(this, 'capacity.cpu', capacity.cpu,
          `the federation components request ${formatMillicores(needed)} CPU (${breakdown(d => d.size.cpuRequest)}), ${formatMillicores(needed - available)} more than declared`,
          'declare the real allocatable CPU, or give the components smaller sizes (ComponentSize.of) or fewer replicas');
      }
    }
    if (capacity.memory !== undefined) {
      const available = parseQuantity(capacity.memory)!;
      const needed = demands.reduce((sum, d) => sum + d.replicas * d.size.memoryRequestBytes, 0);
      if (needed > available) {
        fail(this, 'capacity.memory', capacity.memory,
          `the federation components request ${formatMebibytes(needed)} memory (${breakdown(d => d.size.memoryRequest)}), ${formatMebibytes(needed - available)} more than declared`,
          'declare the real allocatable memory, or give the components smaller sizes (ComponentSize.of) or fewer replicas');
      }
    }
  }

  private checkCapacityShape(): void {
    const capacity = this.capacity;
    if (!capacity) return;
    if (capacity.nodes !== undefined && (!Number.isInteger(capacity.nodes) || capacity.nodes < 1)) {
      fail(this, 'capacity.nodes', capacity.nodes, 'it must be a whole number of at least 1', 'give the number of nodes, e.g. 3');
    }
    for (const [prop, example] of [['cpu', '4'], ['memory', '8Gi']] as const) {
      const value = capacity[prop];
      if (value === undefined) continue;
      const parsed = parseQuantity(value);
      if (parsed === undefined || parsed <= 0) {
        fail(this, `capacity.${prop}`, value, 'it is not a positive Kubernetes quantity', `write it like "${example}"`);
      }
    }
  }
}

/**
 * The ClusterConfiguration keys of the typed component toggles.
 * @internal
 */
export function componentToggles(components: KubeSphereComponents | undefined): any {
  const spec: any = {};
  const set = (path: string[], value: boolean | undefined) => {
    if (value === undefined) return;
    let node = spec;
    for (const key of path.slice(0, -1)) node = node[key] = node[key] ?? {};
    node[path[path.length - 1]] = value;
  };
  const c = components ?? {};
  set(['alerting', 'enabled'], c.alerting);
  set(['auditing', 'enabled'], c.auditing);
  set(['devops', 'enabled'], c.devops);
  set(['events', 'enabled'], c.events);
  set(['logging', 'enabled'], c.logging);
  set(['metrics_server', 'enabled'], c.metricsServer);
  set(['network', 'networkpolicy', 'enabled'], c.networkPolicy);
  set(['servicemesh', 'enabled'], c.serviceMesh);
  set(['gatekeeper', 'enabled'], c.gatekeeper);
  set(['edgeruntime', 'enabled'], c.edgeRuntime);
  set(['edgeruntime', 'kubeedge', 'enabled'], c.edgeRuntime);
  return spec;
}
