import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { checkEnvVarNames, checkLabels, cloneJson, dnsLabelProblem, fail, sortedKeys, suggestDnsLabel } from './_util';
import { ClusterChart, clusterChartsOf } from './cluster-chart';
import { FEDERATED_TYPES, FederatedTypeInfo, federatedApiVersion, federatedTypeForTarget, targetApiVersion } from './crds';
import {
  ClusterInfo, ClusterOverride, ClusterOverrides, MANAGED_LABEL_KEY, OverrideError, overrideProblem, placedClusters, PlacementSpec, renderForCluster,
  REPLICAS_PATH, resolvePlacement, scheduleFederated, schedulingCandidates, SchedulingPreference, schedulingKey, schedulingProblems, templateProblems,
  validateOverrides,
} from './kubefed-semantics';
import { Placement } from './placement';
import { checkPlacementClusters, federationClusters, Project } from './workspace';

/** How a federated app reaches its clusters. */
export enum FederationMode {
  /**
   * KubeFed propagates it: `Federated<Kind>` objects (template, placement, overrides) and
   * ReplicaSchedulingPreferences go to the host's folder.
   */
  FEDERATED = 'federated',
  /**
   * The library computes what KubeFed would create in each member (template + overrides + scheduled replicas)
   * and writes that object straight into the member's folder: pull-mode GitOps without KubeFed in the path.
   */
  RENDERED = 'rendered',
}

/** Props of a federated app. */
export interface FederatedAppProps {
  /**
   * Where the app runs; within its project's placement.
   * @default - the project's placement
   */
  readonly placement?: Placement;
  /**
   * How the app reaches its clusters.
   * @default - FEDERATED in a multi-cluster project, RENDERED in a single-cluster project
   */
  readonly mode?: FederationMode;
  /**
   * Allow the app onto the host cluster. KubeSphere advises keeping workloads off the host.
   * @default false
   */
  readonly allowHost?: boolean;
}

/** The common per-cluster differences of one resource. */
export interface OverrideOptions {
  /**
   * Replicas (Deployment, StatefulSet, ReplicaSet). Not with `scheduleReplicas`, whose scheduler owns them.
   * @default - unchanged
   */
  readonly replicas?: number;
  /**
   * Image of the container.
   * @default - unchanged
   */
  readonly image?: string;
  /**
   * Environment variables of the container to set (added or replaced).
   * @default - unchanged
   */
  readonly env?: { [name: string]: string };
  /**
   * The container `image` and `env` of this call apply to, by name: one of the containers, or else one of the
   * init containers. Each `override()` call has its own container.
   * @default - the first container
   */
  readonly container?: string;
  /**
   * Labels to add to the object.
   * @default - unchanged
   */
  readonly labels?: { [key: string]: string };
  /**
   * Annotations of the object in that cluster (KubeFed drops template annotations, so this is the way to set them).
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
}

/** The operations of a raw KubeFed override. */
export enum OverrideOperationType {
  /** Add (or, on an existing key, replace) the value. */
  ADD = 'add',
  /** Remove the value. */
  REMOVE = 'remove',
  /** Replace the value (KubeFed's default). */
  REPLACE = 'replace',
}

/** A raw KubeFed override: a JSON-patch operation on the object sent to one cluster. */
export class OverrideOperation {
  /**
   * `add` at a JSON pointer.
   * @param path a JSON pointer into the object, e.g. `/spec/template/spec/nodeSelector`
   * @param value the JSON value to add
   */
  public static add(path: string, value: any): OverrideOperation {
    return new OverrideOperation(OverrideOperationType.ADD, path, value);
  }
  /**
   * `replace` at a JSON pointer.
   * @param path a JSON pointer into the object
   * @param value the JSON value to put there
   */
  public static replace(path: string, value: any): OverrideOperation {
    return new OverrideOperation(OverrideOperationType.REPLACE, path, value);
  }
  /**
   * `remove` at a JSON pointer.
   * @param path a JSON pointer into the object
   */
  public static remove(path: string): OverrideOperation {
    return new OverrideOperation(OverrideOperationType.REMOVE, path, undefined);
  }

  private constructor(
    /** The operation. */
    public readonly op: OverrideOperationType,
    /** The JSON pointer, e.g. `/spec/template/spec/containers/0/image`. */
    public readonly path: string,
    /** The value, for add and replace. */
    public readonly value: any,
  ) {
    const problem = overrideProblem({ op, path, value });
    if (problem) {
      fail(`OverrideOperation.${op}`, 'path', path, problem, 'write a JSON pointer into the object, e.g. "/spec/template/spec/containers/0/image"; name, namespace and kind cannot be overridden');
    }
  }
}

/** One cluster's share of scheduled replicas. */
export interface ReplicaWeight {
  /** The cluster. */
  readonly cluster: ClusterChart;
  /**
   * Relative weight of the replicas left after the minimums.
   * @default 0
   */
  readonly weight?: number;
  /**
   * Replicas the cluster gets first.
   * @default 0
   */
  readonly minReplicas?: number;
  /**
   * Most replicas the cluster gets.
   * @default - unbounded
   */
  readonly maxReplicas?: number;
}

/** Weighted replica scheduling (a KubeFed `ReplicaSchedulingPreference`). */
export interface ReplicaSchedulingOptions {
  /** Replicas in total, across clusters. */
  readonly totalReplicas: number;
  /**
   * Per-cluster weights and bounds.
   * @default - every cluster weighs 1
   */
  readonly clusters?: ReplicaWeight[];
  /**
   * Weight of clusters without their own entry (the `"*"` key). Careful: KubeFed plans for every joined
   * cluster, the host included, and places the resource on every project cluster it planned (beyond the app's
   * placement); replicas planned for clusters outside the project never run, which is an error: give those
   * clusters weight 0, or use `intersectWithClusterSelector`.
   * @default - no default weight when `clusters` is given
   */
  readonly defaultWeight?: number;
  /**
   * Move replicas that already run when the plan changes.
   * @default false
   */
  readonly rebalance?: boolean;
  /**
   * Plan only over the clusters that both the app's and its project's cluster selectors pick (KubeFed ignores
   * cluster lists here, so both must be placed by a selector).
   * @default false
   */
  readonly intersectWithClusterSelector?: boolean;
  /**
   * The Deployment or ReplicaSet to scale.
   * @default - the only Deployment or ReplicaSet of the app
   */
  readonly resource?: IConstruct;
}

const UNSUPPORTED_ALTERNATIVES: { [kind: string]: string } = {
  DaemonSet: 'use a Deployment with pod anti-affinity, or create the DaemonSet per member with the Member as its scope',
  CronJob: 'create the CronJob per member with the Member as its scope, or federate a Job',
  HorizontalPodAutoscaler: 'create an HPA per member with the Member as its scope, and spread replicas with scheduleReplicas',
  Namespace: 'the project is the namespace: use workspace.addProject(...) and put the app in it',
};

const WORKLOAD_POD_SPEC: { [kind: string]: string } = {
  Deployment: '/spec/template/spec', StatefulSet: '/spec/template/spec', ReplicaSet: '/spec/template/spec', Job: '/spec/template/spec',
};
const SCALABLE = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
const SCHEDULABLE_TARGETS = new Set(['Deployment', 'ReplicaSet']);

/** A chart whose objects are templates: named after their construct ids within the app, never hashed. */
class TemplateChart extends Chart {
  public generateObjectName(apiObject: ApiObject): string {
    const relative = apiObject.node.scopes.slice(this.node.scopes.length).map(c => c.node.id).filter(id => id !== 'Resource' && id !== 'Default');
    const name = relative.join('-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
    return name.length > 0 ? name : 'resource';
  }
}

interface OverrideEntry {
  readonly cluster: ClusterChart;
  readonly resource: ApiObject;
  readonly options: OverrideOptions[];
  readonly operations: OverrideOperation[];
}

interface TemplateResource {
  readonly apiObject: ApiObject;
  readonly manifest: any;
  readonly type: FederatedTypeInfo;
  readonly namespaced: boolean;
}

interface ComputedResource {
  readonly resource: TemplateResource;
  readonly federated: any;
  /** The clusters KubeFed propagates the resource to (after the scheduler's rewrite of its placement), sorted. */
  readonly reach: string[];
  readonly rsp?: any;
  readonly preference?: SchedulingPreference;
}

interface Computed {
  readonly clusters: ClusterInfo[];
  /** The clusters that receive at least one of the app's resources, sorted. */
  readonly reached: string[];
  readonly namespacePlacement: PlacementSpec;
  readonly resources: ComputedResource[];
}

/**
 * An application written once with cdk8s-plus-27 (or plain `ApiObject`s) in `app.template`, placed onto
 * clusters, with per-cluster differences and optional weighted replica scheduling.
 *
 * In `FederationMode.FEDERATED` it emits a `Federated<Kind>` per resource (and a `ReplicaSchedulingPreference`
 * when replicas are scheduled) into the host's folder; in `FederationMode.RENDERED` it writes what each member
 * receives into that member's folder. `app.preview(cluster)` returns what a cluster receives in either mode.
 */
export class FederatedApp extends Construct {
  /**
   * What a cluster receives from every federated app of its federation, in either mode: the objects KubeFed
   * creates there (federated mode) or the rendered objects in its folder (rendered mode).
   * @param cluster a Host or Member
   */
  public static previewCluster(cluster: ClusterChart): any[] {
    return cluster.node.root.node.findAll()
      .filter((c): c is FederatedApp => c instanceof FederatedApp)
      .flatMap(app => app.preview(cluster));
  }

  /** Create the app's resources in this scope; they become templates, named after their construct ids. */
  public readonly template: Chart;
  /** The project the app lives in. */
  public readonly project: Project;
  /** The app's placement. */
  public readonly placement: Placement;
  /** How the app reaches its clusters. */
  public readonly mode: FederationMode;
  /** Whether the app may run on the host. */
  public readonly allowHost: boolean;
  private readonly overrides = new Map<string, OverrideEntry>();
  private readonly schedules = new Map<ApiObject, ReplicaSchedulingOptions>();
  private readonly retained = new Set<ApiObject>();
  private computed?: Computed;
  private emitted = false;

  /**
   * An app in a project; add its resources to `template`.
   * @param project the project (namespace) the app runs in
   * @param id the construct id
   * @param props where it is placed and how it is delivered (federated or rendered)
   */
  constructor(project: Project, id: string, props: FederatedAppProps = {}) {
    super(project, id);
    if (!(project instanceof Project)) fail(this, 'scope', String(project), 'a federated app lives in a project', 'create it with a project as scope: new FederatedApp(workspace.addProject(...), ...)');
    this.project = project;
    this.placement = props.placement ?? project.placement;
    this.allowHost = props.allowHost ?? false;
    this.mode = props.mode ?? (project.singleCluster ? FederationMode.RENDERED : FederationMode.FEDERATED);
    if (this.mode === FederationMode.FEDERATED && project.singleCluster) {
      fail(this, 'mode', this.mode, `project "${project.namespace}" is a single-cluster project (a plain Namespace on ${project.singleCluster.clusterName}), so KubeFed has no FederatedNamespace to propagate into`,
        'use FederationMode.RENDERED, or give the project a multi-cluster placement');
    }
    checkPlacementClusters(this, 'placement', this.placement, project.workspace.host);
    this.template = new TemplateChart(this, 'template', { namespace: project.namespace, disableResourceNameHashes: true });
  }

  /**
   * Sets the common per-cluster differences of one resource: replicas, image, env, labels, annotations.
   * Several calls for the same cluster and resource merge into one override list (KubeFed accepts one per
   * cluster): each call's image and env apply to its own `container`; env maps, labels and annotations merge;
   * for the same field the later call wins.
   * @param cluster the cluster that differs
   * @param resource a resource of this app's template (a cdk8s-plus construct or an ApiObject)
   * @param options what differs there: replicas, image, env, labels, annotations
   */
  public override(cluster: ClusterChart, resource: IConstruct, options: OverrideOptions): void {
    const entry = this.overrideEntry(cluster, resource, 'override');
    if (options.replicas !== undefined && (!Number.isInteger(options.replicas) || options.replicas < 0)) {
      fail(this, 'override replicas', options.replicas, 'replicas must be a whole number of at least 0', 'give a number like 3');
    }
    if (options.image !== undefined && options.image.trim().length === 0) fail(this, 'override image', options.image, 'it is empty', 'give an image reference, e.g. "mirror.local/nginx:1.25"');
    checkLabels(this, 'override labels', options.labels);
    checkEnvVarNames(this, 'override env name', Object.keys(options.env ?? {}));
    // The env map becomes a list: in name order, whatever order the map arrives in (see sortedKeys).
    entry.options.push({ ...options, env: sortedKeys(options.env) });
  }

  /**
   * Adds a raw override (any JSON pointer) of one resource in one cluster.
   * @param cluster the cluster that differs
   * @param resource a resource of this app's template (a cdk8s-plus construct or an ApiObject)
   * @param operation the change: `OverrideOperation.add`, `replace` or `remove`
   */
  public addOverride(cluster: ClusterChart, resource: IConstruct, operation: OverrideOperation): void {
    this.overrideEntry(cluster, resource, 'addOverride').operations.push(operation);
  }

  /**
   * Spreads a Deployment's or ReplicaSet's replicas over clusters by weight (a ReplicaSchedulingPreference). The
   * scheduler then owns each cluster's `/spec/replicas`; the library writes no replica override of its own.
   * KubeFed's scheduler places the resource on every cluster it plans for within the project, clusters planned
   * 0 replicas included, so `preview()` and rendered mode show it there with `replicas: 0`.
   * @param options the total replicas and the weights and bounds per cluster
   */
  public scheduleReplicas(options: ReplicaSchedulingOptions): void {
    this.assertOpen('scheduleReplicas');
    const candidates = this.templateObjects().filter(o => SCHEDULABLE_TARGETS.has(o.kind));
    let target: ApiObject;
    if (options.resource) {
      target = this.resolveResource(options.resource, 'scheduleReplicas resource');
      if (!SCHEDULABLE_TARGETS.has(target.kind)) {
        fail(this, 'scheduleReplicas resource', `${target.kind} ${target.name}`, 'KubeFed schedules replicas of Deployments and ReplicaSets only', 'pass a Deployment or ReplicaSet, or set replicas per cluster with override()');
      }
    } else if (candidates.length === 1) {
      target = candidates[0];
    } else {
      fail(this, 'scheduleReplicas resource', undefined, `the app has ${candidates.length} Deployments/ReplicaSets`, 'name the one to scale: scheduleReplicas({ resource: deployment, ... })');
    }
    if (this.schedules.has(target)) fail(this, 'scheduleReplicas resource', target.name, 'its replicas are already scheduled', 'call scheduleReplicas once per resource');
    if (!Number.isInteger(options.totalReplicas) || options.totalReplicas < 0) {
      fail(this, 'scheduleReplicas totalReplicas', options.totalReplicas, 'it must be a whole number of at least 0', 'give the total, e.g. 10');
    }
    const seen = new Set<string>();
    for (const w of options.clusters ?? []) {
      if (seen.has(w.cluster.clusterName)) fail(this, 'scheduleReplicas clusters', w.cluster.clusterName, 'the cluster is listed twice', 'give each cluster one entry');
      seen.add(w.cluster.clusterName);
    }
    this.schedules.set(target, options);
  }

  /**
   * Sets `spec.retainReplicas` on the resource's `Federated<Kind>`: KubeFed creates it in each member with the
   * template's replicas (or a cluster's `replicas` override), and from then on keeps the member's own value when
   * it updates the object, so an autoscaler created in the member owns the replicas. A cluster with a `replicas`
   * override keeps getting that value. Federated mode only; not with `scheduleReplicas` on the same resource.
   * @param resource a Deployment, StatefulSet or ReplicaSet of this app's template
   */
  public retainReplicas(resource: IConstruct): void {
    this.assertOpen('retainReplicas');
    const target = this.resolveResource(resource, 'retainReplicas resource');
    if (!SCALABLE.has(target.kind)) {
      fail(this, 'retainReplicas resource', `${target.kind} ${target.name}`, 'KubeFed retains replicas of Deployments, StatefulSets and ReplicaSets only', 'pass a Deployment, StatefulSet or ReplicaSet');
    }
    if (this.mode === FederationMode.RENDERED) {
      fail(this, 'retainReplicas', `${target.kind} ${target.name}`, 'keeping the member\'s replicas on updates is done by KubeFed\'s sync controller, which rendered mode leaves out (each apply would reset them)',
        'use FederationMode.FEDERATED for this app, or leave replicas out of the template and let the member own them');
    }
    this.retained.add(target);
  }

  /**
   * What `cluster` receives from this app: the objects KubeFed creates there (federated mode, with KubeFed's
   * `kubefed.io/managed` label) or the objects written to its folder (rendered mode). Empty when not placed there.
   * @param cluster a Host or Member
   */
  public preview(cluster: ClusterChart): any[] {
    const computed = this.compute();
    const out: any[] = [];
    for (const { resource, federated, preference, reach } of computed.resources) {
      if (!reach.includes(cluster.clusterName)) continue;
      const rendered = this.renderOne(computed, resource, federated, preference, cluster.clusterName);
      if (rendered) out.push(this.mode === FederationMode.RENDERED ? stripManagedLabel(rendered) : rendered);
    }
    return out;
  }

  /**
   * Emits the app's objects once, when the federation is synthesized.
   * @internal
   */
  public _prepareFederation(): void {
    if (this.emitted) return;
    const computed = this.compute();
    this.emitted = true;
    const host = this.project.workspace.host;
    if (this.mode === FederationMode.FEDERATED) {
      for (const { resource, federated, rsp } of computed.resources) {
        new ApiObject(this, `${resource.type.federatedKind}-${resource.manifest.metadata.name}`, federated);
        if (rsp) new ApiObject(this, `ReplicaSchedulingPreference-${resource.manifest.metadata.name}`, rsp);
      }
      return;
    }
    const charts = new Map(clusterChartsOf(this).map(c => [c.clusterName, c]));
    for (const clusterName of computed.reached) {
      const chart = charts.get(clusterName)!;
      const prefix = `${this.project.workspace.workspaceName}-${this.project.namespace}-${this.node.id}`;
      const namespacedHere = computed.resources.some(r => r.resource.namespaced && r.reach.includes(clusterName));
      if (!this.project.singleCluster && clusterName !== host.clusterName && namespacedHere) {
        // Without KubeFed nothing creates the project's namespace in the member: write it too, once per project.
        const nsId = `RenderedNamespace-${this.project.workspace.workspaceName}-${this.project.namespace}`;
        if (!chart.node.tryFindChild(nsId)) {
          new ApiObject(chart, nsId, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.project.namespace, labels: this.project.labels } });
        }
      }
      for (const { resource, federated, preference, reach } of computed.resources) {
        if (!reach.includes(clusterName)) continue;
        const rendered = this.renderOne(computed, resource, federated, preference, clusterName);
        if (!rendered) continue;
        new ApiObject(chart, `Rendered-${prefix}-${resource.manifest.kind}-${resource.manifest.metadata.name}`, stripManagedLabel(rendered));
      }
    }
  }

  private renderOne(
    computed: Computed, resource: TemplateResource, federated: any, preference: SchedulingPreference | undefined, cluster: string,
  ): any | undefined {
    try {
      return renderForCluster(federated, { apiVersion: targetApiVersion(resource.type), kind: resource.type.target.kind }, cluster, {
        clusters: computed.clusters,
        namespaced: resource.namespaced,
        namespacePlacement: resource.namespaced ? computed.namespacePlacement : undefined,
        schedulingPreference: preference,
      });
    } catch (e) {
      if (e instanceof OverrideError) {
        const op = e.override.op || 'replace';
        fail(this, `override of ${resource.manifest.kind} "${resource.manifest.metadata.name}" for cluster ${cluster}`, e.override.path, `KubeFed cannot apply it (op "${op}"): ${e.reason}`,
          op === 'remove'
            ? 'remove only a path the template has (with an index within its array), or drop the override'
            : 'point the override at a path whose parent exists in the template, with an index within its array (or add the whole parent object first)');
      }
      throw e;
    }
  }

  private compute(): Computed {
    if (this.computed) return this.computed;
    const clusters = federationClusters(this);
    const host = this.project.workspace.host;
    const projectClusters = new Set(this.project.clusterNames);
    // KubeFed places a namespaced object on the intersection with its namespace's placement. A cluster named
    // explicitly outside the project is a mistake; a selector simply reaches the project's clusters it matches.
    const selected = this.placement._resolve(clusters);
    const outside = this.placement.listedClusters ? selected.filter(c => !projectClusters.has(c)) : [];
    const placed = selected.filter(c => projectClusters.has(c));
    if (outside.length > 0) {
      fail(this, 'placement', this.placement.description, `clusters ${outside.join(', ')} are outside project "${this.project.namespace}"'s placement (${[...projectClusters].join(', ') || 'none'})`,
        'place the app within its project\'s clusters, or widen the project\'s placement');
    }
    if (placed.includes(host.clusterName) && !this.allowHost) {
      fail(this, 'placement', this.placement.description, `it places the app on the host cluster "${host.clusterName}", which KubeSphere advises to keep free of workloads`,
        'place it on members only (Placement.members() or Placement.clusters(...)), or set allowHost: true to opt in');
    }
    const single = this.project.singleCluster;
    const namespacePlacement = single ? { clusters: [{ name: single.clusterName }] } : this.project.placement._toKube();

    const resources = this.templateObjects().map(apiObject => this.templateResource(apiObject));
    for (const entry of this.overrides.values()) {
      const rawReplicas = entry.operations.some(o => o.path === REPLICAS_PATH);
      if (this.schedules.has(entry.resource) && (rawReplicas || entry.options.some(o => o.replicas !== undefined))) {
        fail(this, 'override replicas', entry.cluster.clusterName, `the replicas of ${entry.resource.kind} "${entry.resource.name}" are scheduled by scheduleReplicas, whose scheduler owns /spec/replicas (it sets the value of any override on that path)`,
          'drop the replicas override, or set a minReplicas/maxReplicas for that cluster in scheduleReplicas');
      }
    }
    const out = resources.map(resource => this.computeResource(resource, clusters, namespacePlacement));
    const reachOf = new Map(out.map(r => [r.resource.apiObject, r.reach]));
    for (const entry of this.overrides.values()) {
      const reach = reachOf.get(entry.resource)!;
      if (!reach.includes(entry.cluster.clusterName)) {
        fail(this, 'override cluster', entry.cluster.clusterName, `the app is not placed on it (placement: ${reach.join(', ') || 'none'})`, 'override only clusters the app is placed on, or widen its placement');
      }
    }
    const reached = [...new Set(out.flatMap(r => r.reach))].sort();
    const computed: Computed = { clusters, reached, namespacePlacement, resources: out };
    if (this.mode === FederationMode.FEDERATED) {
      // KubeFed applies each cluster's overrides (after the scheduler's replicas) when it propagates: refuse
      // at synth, as rendered mode does, every override it could not apply, in the same order and words.
      for (const clusterName of reached) {
        for (const { resource, federated, preference, reach } of out) {
          if (reach.includes(clusterName)) this.renderOne(computed, resource, federated, preference, clusterName);
        }
      }
    }
    this.computed = computed;
    return computed;
  }

  /**
   * The federated object of one template resource, where KubeFed propagates it and, when its replicas are
   * scheduled, its RSP. KubeFed's scheduler rewrites the object's placement to every cluster it plans for
   * (including clusters planned 0 replicas), so a scheduled Deployment reaches every planned cluster of the
   * project, not only the app's placement; a cluster-scoped object is not limited to the project's clusters.
   */
  private computeResource(resource: TemplateResource, clusters: ClusterInfo[], namespacePlacement: PlacementSpec): ComputedResource {
    const federated = this.federatedObject(resource);
    const name = resource.manifest.metadata.name;
    const schedule = this.schedules.get(resource.apiObject);
    if (this.retained.has(resource.apiObject) && schedule) {
      fail(this, 'retainReplicas', `${resource.manifest.kind} "${name}"`, 'its replicas are scheduled by scheduleReplicas, whose /spec/replicas overrides KubeFed applies after retaining the member\'s replicas, so retainReplicas would have no effect',
        'drop retainReplicas (the scheduler owns the replicas), or drop scheduleReplicas and let the members own the replicas');
    }
    const host = this.project.workspace.host.clusterName;
    if (!schedule) {
      const reach = this.reachOf(resource, federated, clusters, namespacePlacement);
      if (reach.includes(host) && !this.allowHost) {
        // Only a cluster-scoped kind gets here: KubeFed places it by its own placement, not within the project's.
        fail(this, 'placement', this.placement.description, `the cluster-scoped ${resource.manifest.kind} "${name}" is placed by the app's placement alone (KubeFed does not limit it to the project's clusters), which includes the host cluster "${host}"`,
          'place the app on members only (Placement.members() or Placement.clusters(...)), or set allowHost: true to opt in');
      }
      return { resource, federated, reach };
    }
    const preference = this.preference(schedule);
    const what = `${schedule.totalReplicas} replicas of ${resource.manifest.kind} "${name}"`;
    const scheduleOptions = { namespacePlacement, namespaced: resource.namespaced };
    const candidates = schedulingCandidates(federated, preference, clusters, scheduleOptions);
    if (preference.intersectWithClusterSelector && candidates.length === 0) {
      fail(this, 'scheduleReplicas', what, `with intersectWithClusterSelector KubeFed's scheduler plans only over the clusters that both the app's and its project's cluster selectors match (it ignores cluster lists); here there are none (app placement: ${this.placement.description}; project placement: ${this.project.placement.description}), so it would leave the replicas unscheduled`,
        'place the app and its project with Placement.selector(...) or Placement.members(), or drop intersectWithClusterSelector');
    }
    const projectClusters = resolvePlacement(namespacePlacement, clusters);
    const problems = schedulingProblems(preference, candidates, {
      key: schedulingKey(resource.manifest.metadata.namespace, name),
      propagatedClusters: projectClusters,
      intersected: preference.intersectWithClusterSelector,
    });
    if (problems.length > 0) fail(this, 'scheduleReplicas', what, problems.join('; '), 'adjust totalReplicas, weights, minReplicas or maxReplicas as said');
    const reach = this.reachOf(resource, federated, clusters, namespacePlacement, preference);
    if (reach.includes(host) && !this.allowHost) {
      fail(this, 'scheduleReplicas', what, `KubeFed's scheduler places the ${resource.manifest.kind} on every cluster it plans for (${candidates.join(', ')}), and it reaches those in project "${this.project.namespace}"'s placement, which include the host cluster "${host}"`,
        'keep the host out of the project\'s placement, set intersectWithClusterSelector with selector placements that leave out the host, or set allowHost: true');
    }
    const rsp = {
      apiVersion: 'scheduling.kubefed.io/v1alpha1',
      kind: 'ReplicaSchedulingPreference',
      metadata: { name, namespace: resource.manifest.metadata.namespace },
      spec: {
        targetKind: resource.type.federatedKind,
        totalReplicas: preference.totalReplicas,
        ...(preference.clusters ? { clusters: preference.clusters } : {}),
        ...(preference.rebalance ? { rebalance: true } : {}),
        ...(preference.intersectWithClusterSelector ? { intersectWithClusterSelector: true } : {}),
      },
    };
    // Written as KubeFed's scheduler leaves it (placement and /spec/replicas overrides), so the scheduler finds
    // nothing to rewrite and a re-apply does not fight it over fields it owns.
    const scheduled = scheduleFederated(federated, preference, clusters, scheduleOptions);
    return { resource, federated: scheduled, reach, rsp, preference };
  }

  /**
   * Where KubeFed propagates a federated object, sorted: a namespaced one within its project's clusters, a
   * cluster-scoped one by its own placement, a scheduled one on the clusters its scheduler planned.
   */
  private reachOf(
    resource: TemplateResource, federated: any, clusters: ClusterInfo[], namespacePlacement: PlacementSpec, preference?: SchedulingPreference,
  ): string[] {
    return placedClusters(federated, { apiVersion: targetApiVersion(resource.type), kind: resource.type.target.kind }, {
      clusters,
      namespaced: resource.namespaced,
      namespacePlacement: resource.namespaced ? namespacePlacement : undefined,
      schedulingPreference: preference,
    });
  }

  private preference(options: ReplicaSchedulingOptions): SchedulingPreference {
    const clusters: { [name: string]: any } = {};
    for (const w of options.clusters ?? []) {
      clusters[w.cluster.clusterName] = {
        ...(w.weight !== undefined ? { weight: w.weight } : {}),
        ...(w.minReplicas !== undefined ? { minReplicas: w.minReplicas } : {}),
        ...(w.maxReplicas !== undefined ? { maxReplicas: w.maxReplicas } : {}),
      };
    }
    if (options.defaultWeight !== undefined) clusters['*'] = { weight: options.defaultWeight };
    return {
      totalReplicas: options.totalReplicas,
      ...(Object.keys(clusters).length > 0 ? { clusters } : {}),
      ...(options.rebalance ? { rebalance: true } : {}),
      ...(options.intersectWithClusterSelector ? { intersectWithClusterSelector: true } : {}),
    };
  }

  private templateResource(apiObject: ApiObject): TemplateResource {
    const manifest = apiObject.toJson();
    const type = federatedTypeForTarget(manifest.apiVersion, manifest.kind);
    if (!type || manifest.kind === 'Namespace') {
      const alternative = UNSUPPORTED_ALTERNATIVES[manifest.kind] ?? 'create it per member with the Member as its scope';
      const supported = [...new Set(FEDERATED_TYPES.filter(t => t.target.scope === 'Namespaced').map(t => t.target.kind))].sort().join(', ');
      fail(apiObject, 'kind', `${manifest.apiVersion} ${manifest.kind}`, `KubeFed (as KubeSphere v3.4 configures it) cannot federate ${manifest.kind}; it federates ${supported} and the cluster-scoped IAM and RBAC kinds`,
        alternative);
    }
    const namespaced = type.target.scope === 'Namespaced';
    if (!namespaced) delete manifest.metadata.namespace;
    const nameProblem = dnsLabelProblem(manifest.metadata.name, 253);
    if (nameProblem && !/^[a-z0-9.:-]+$/.test(manifest.metadata.name)) {
      fail(apiObject, 'metadata.name', manifest.metadata.name, nameProblem, `name it like "${suggestDnsLabel(manifest.metadata.name)}"`);
    }
    // KubeFed (federated mode) or the member's API server (rendered mode) would refuse them only on the member.
    const podSpec = WORKLOAD_POD_SPEC[manifest.kind] ? manifest.spec?.template?.spec : undefined;
    for (const field of ['initContainers', 'containers']) {
      for (const container of podSpec?.[field] ?? []) {
        checkEnvVarNames(apiObject, `${field} "${container.name}" env name`, (container.env ?? []).map((e: any) => e.name));
        checkEnvVarNames(apiObject, `${field} "${container.name}" envFrom prefix`, (container.envFrom ?? []).map((e: any) => e.prefix).filter((p: any) => p !== undefined && p !== ''));
      }
    }
    return { apiObject, manifest, type, namespaced };
  }

  private federatedObject(resource: TemplateResource): any {
    const { apiVersion: _v, kind: _k, metadata, ...rest } = cloneJson(resource.manifest);
    const { name, namespace, ...templateMetadata } = metadata;
    const template = { ...(Object.keys(templateMetadata).length > 0 ? { metadata: templateMetadata } : {}), ...rest };
    const overrides: ClusterOverrides[] = [];
    const entries = [...this.overrides.values()].filter(e => e.resource === resource.apiObject);
    for (const entry of entries.sort((a, b) => a.cluster.clusterName.localeCompare(b.cluster.clusterName))) {
      const ops = [
        ...(entry.options.length > 0 ? this.overrideOps(resource, entry.options, entry.cluster) : []),
        ...entry.operations.map(o => ({ op: o.op, path: o.path, ...(o.op === 'remove' ? {} : { value: cloneJson(o.value) }) })),
      ];
      if (ops.length > 0) overrides.push({ clusterName: entry.cluster.clusterName, clusterOverrides: ops });
    }
    const federated = {
      apiVersion: federatedApiVersion(resource.type),
      kind: resource.type.federatedKind,
      metadata: { name, ...(resource.namespaced ? { namespace } : {}) },
      spec: {
        template,
        placement: this.placement._toKube(),
        ...(overrides.length > 0 ? { overrides } : {}),
        ...(this.retained.has(resource.apiObject) ? { retainReplicas: true } : {}),
      },
    };
    const problems = [...validateOverrides(overrides), ...templateProblems(federated)];
    if (problems.length > 0) {
      fail(resource.apiObject, 'overrides', `${resource.manifest.kind} "${name}"`, problems.join('; '), 'fix the overrides or template as said');
    }
    return federated;
  }

  /**
   * The override operations of the common options of every `override()` call for one cluster and resource,
   * computed from the template. Each call's image and env go to its own container; KubeFed refuses a path
   * twice for one cluster, so calls on the same container merge (env maps merge, the later image wins), as do
   * replicas (the later wins), labels and annotations (maps merge).
   */
  private overrideOps(resource: TemplateResource, calls: OverrideOptions[], cluster: ClusterChart): ClusterOverride[] {
    const manifest = resource.manifest;
    const where = `override(${cluster.clusterName}, ${manifest.kind} "${manifest.metadata.name}")`;
    let replicas: number | undefined;
    let labels: { [key: string]: string } | undefined;
    let annotations: { [key: string]: string } | undefined;
    const perContainer = new Map<string, { field: string; index: number; container: any; image?: string; env?: { [name: string]: string } }>();
    for (const options of calls) {
      if (options.replicas !== undefined) {
        if (!SCALABLE.has(manifest.kind)) fail(this, `${where} replicas`, options.replicas, `a ${manifest.kind} has no replicas`, 'drop replicas from this override');
        replicas = options.replicas;
      }
      if (options.labels !== undefined) labels = { ...labels, ...options.labels };
      if (options.annotations !== undefined) annotations = { ...annotations, ...options.annotations };
      if (options.image === undefined && options.env === undefined) continue;
      const target = this.overrideContainer(resource, options.container, where);
      const key = `${target.field}/${target.index}`;
      const merged = perContainer.get(key) ?? { ...target };
      if (options.image !== undefined) merged.image = options.image;
      if (options.env !== undefined) merged.env = { ...merged.env, ...options.env };
      perContainer.set(key, merged);
    }

    const ops: ClusterOverride[] = [];
    if (replicas !== undefined) ops.push({ op: manifest.spec?.replicas === undefined ? 'add' : 'replace', path: '/spec/replicas', value: replicas });
    const containers = [...perContainer.values()].sort((x, y) => x.field.localeCompare(y.field) || x.index - y.index);
    for (const { field, index, container, image, env } of containers) {
      const base = `${WORKLOAD_POD_SPEC[manifest.kind]}/${field}/${index}`;
      if (image !== undefined) ops.push({ op: 'replace', path: `${base}/image`, value: image });
      if (env !== undefined) {
        const list: any[] = cloneJson(container.env ?? []);
        for (const [name, value] of Object.entries(env)) {
          const at = list.findIndex(e => e.name === name);
          if (at >= 0) list[at] = { name, value };
          else list.push({ name, value });
        }
        ops.push({ op: container.env === undefined ? 'add' : 'replace', path: `${base}/env`, value: list });
      }
    }
    if (labels !== undefined) ops.push({ op: 'add', path: '/metadata/labels', value: { ...(manifest.metadata.labels ?? {}), ...labels } });
    if (annotations !== undefined) ops.push({ op: 'add', path: '/metadata/annotations', value: { ...annotations } });
    return ops;
  }

  /** The container an override's image/env apply to: by name among `containers`, then `initContainers`; else the first container. */
  private overrideContainer(resource: TemplateResource, name: string | undefined, where: string): { field: string; index: number; container: any } {
    const manifest = resource.manifest;
    if (!WORKLOAD_POD_SPEC[manifest.kind]) fail(this, `${where} image/env`, manifest.kind, `a ${manifest.kind} has no containers`, 'use image/env only on Deployments, StatefulSets, ReplicaSets and Jobs');
    const podSpec = manifest.spec?.template?.spec ?? {};
    const containers: any[] = podSpec.containers ?? [];
    const initContainers: any[] = podSpec.initContainers ?? [];
    if (name === undefined && containers.length > 0) return { field: 'containers', index: 0, container: containers[0] };
    for (const field of ['containers', 'initContainers']) {
      const list: any[] = podSpec[field] ?? [];
      const index = list.findIndex(c => c.name === name);
      if (name !== undefined && index >= 0) return { field, index, container: list[index] };
    }
    const known = [...containers.map(c => c.name), ...initContainers.map(c => `${c.name} (init)`)].join(', ') || 'none';
    return fail(this, `${where} container`, name, `no such container (containers: ${known})`, 'name one of the template\'s containers or init containers');
  }

  private overrideEntry(cluster: ClusterChart, resource: IConstruct, method: string) {
    this.assertOpen(method);
    if (!ClusterChart.isClusterChart(cluster)) fail(this, `${method} cluster`, String(cluster), 'it is not a Host or Member', 'pass a Member of this federation');
    const apiObject = this.resolveResource(resource, `${method} resource`);
    const key = `${cluster.clusterName}\u0000${apiObject.node.path}`;
    let entry = this.overrides.get(key);
    if (!entry) {
      entry = { cluster, resource: apiObject, options: [], operations: [] };
      this.overrides.set(key, entry);
    }
    return entry;
  }

  private resolveResource(resource: IConstruct, prop: string): ApiObject {
    let apiObject: ApiObject | undefined;
    try {
      apiObject = ApiObject.of(resource);
    } catch {
      apiObject = undefined;
    }
    if (!apiObject || !this.templateObjects().includes(apiObject)) {
      fail(this, prop, resource.node.path, 'it is not a resource of this app\'s template', 'pass a construct created with app.template as its scope');
    }
    return apiObject;
  }

  private templateObjects(): ApiObject[] {
    return this.template.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c) && Chart.of(c) === this.template);
  }

  private assertOpen(method: string): void {
    if (this.computed) {
      fail(this, method, undefined, 'the app was already synthesized or previewed, so later changes would not reach the output', `call ${method} before synth() and preview()`);
    }
  }
}

function stripManagedLabel(obj: any): any {
  const copy = cloneJson(obj);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[MANAGED_LABEL_KEY];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}
