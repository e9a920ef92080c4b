import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { checkLabels, dnsLabelProblem, fail, suggestDnsLabel } from './_util';
import { ClusterChart, clusterChartsOf } from './cluster-chart';
import { FederationApp } from './federation-app';
import { Host } from './host';
import { ClusterInfo } from './kubefed-semantics';
import { Member } from './member';
import { Placement } from './placement';

const WORKSPACE_LABEL = 'kubesphere.io/workspace';
const KUBEFED_MANAGED = 'kubefed.io/managed';
const ORPHAN_FINALIZER = 'orphan.finalizers.kubesphere.io';
const HOST_LABEL = 'cluster-role.kubesphere.io/host';

/** Names in use, per federation (projects are namespaces) and per host (workspaces). */
const PROJECTS = new WeakMap<IConstruct, Map<string, Project>>();
const WORKSPACES = new WeakMap<IConstruct, Map<string, Workspace>>();
const CLUSTER_INFOS = new WeakMap<IConstruct, ClusterInfo[]>();

/**
 * The clusters of the federation `scope` belongs to, with the labels KubeFed's placement selectors see
 * (the host's include its role label).
 * @internal
 */
export function federationClusters(scope: IConstruct): ClusterInfo[] {
  const charts = clusterChartsOf(scope);
  const cached = CLUSTER_INFOS.get(scope.node.root);
  // Clusters are only ever added and their labels are fixed at construction, so the count tells freshness.
  if (cached && cached.length === charts.length) return cached;
  const infos = charts.map(c => ({ name: c.clusterName, labels: Host.isHost(c) ? { ...c.clusterLabels, [HOST_LABEL]: '', 'kubesphere.io/managed': 'true' } : c.clusterLabels }));
  CLUSTER_INFOS.set(scope.node.root, infos);
  return infos;
}

/**
 * Throws unless every cluster a placement lists belongs to `host`'s federation.
 * @internal
 */
export function checkPlacementClusters(scope: IConstruct, prop: string, placement: Placement, host: Host): void {
  for (const cluster of placement.listedClusters ?? []) {
    const sameHost = Host.isHost(cluster) ? cluster === host : Member.isMember(cluster) && cluster.host === host;
    if (!sameHost) {
      fail(scope, prop, cluster.clusterName, `${cluster.node.path} is not a member of host ${host.node.path}`,
        'place only onto members of this federation\'s host');
    }
  }
}

/** What deleting the WorkspaceTemplate does to the workspace's namespaces. */
export enum WorkspaceDeletionPolicy {
  /**
   * Keep them: the WorkspaceTemplate carries the `orphan.finalizers.kubesphere.io` finalizer, so deleting it (for
   * example by a prune) orphans the workspace's namespaces and their federated copies instead of deleting them.
   */
  ORPHAN = 'orphan',
  /**
   * KubeSphere's default: deleting the WorkspaceTemplate on the host deletes every host namespace labelled with
   * the workspace, their FederatedNamespaces and so the member namespaces, with everything in them.
   */
  DELETE = 'delete',
}

/** The built-in workspace roles KubeSphere creates for every workspace (`<workspace>-<role>`). */
export enum BuiltInWorkspaceRole {
  /** Manages the workspace. */
  ADMIN = 'admin',
  /** Works in the workspace's projects. */
  REGULAR = 'regular',
  /** Reads the workspace. */
  VIEWER = 'viewer',
  /** Creates projects in the workspace. */
  SELF_PROVISIONER = 'self-provisioner',
}

/** A permission rule of a custom workspace role (an RBAC PolicyRule). */
export interface WorkspaceRoleRule {
  /** The verbs, e.g. `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, or `*`. */
  readonly verbs: string[];
  /**
   * API groups (`""` is the core group).
   * @default - none
   */
  readonly apiGroups?: string[];
  /**
   * Resources, e.g. `deployments`, `pods/log`.
   * @default - none
   */
  readonly resources?: string[];
  /**
   * Restrict to these object names.
   * @default - all names
   */
  readonly resourceNames?: string[];
  /**
   * Non-resource URLs.
   * @default - none
   */
  readonly nonResourceUrls?: string[];
}

/** Options of `workspace.addRole`. */
export interface WorkspaceRoleOptions {
  /** The permission rules. */
  readonly rules: WorkspaceRoleRule[];
  /**
   * Display name (`kubesphere.io/alias-name`).
   * @default - none
   */
  readonly displayName?: string;
  /**
   * Description (`kubesphere.io/description`).
   * @default - none
   */
  readonly description?: string;
}

const VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'impersonate', 'bind', 'escalate', 'use', 'approve', 'sign', 'proxy', '*']);

/** A custom workspace role, `<workspace>-<name>`, with typed rules. Create it with `workspace.addRole`. */
export class WorkspaceRole extends Construct {
  /** The role's short name within the workspace. */
  public readonly roleName: string;
  /** The WorkspaceRole object's name: `<workspace>-<roleName>`. */
  public readonly objectName: string;
  /** The workspace the role belongs to. */
  public readonly workspace: Workspace;

  /**
   * Prefer `workspace.addRole(name, options)`.
   * @param workspace the workspace it belongs to
   * @param name the role's short name
   * @param options the rules and the names shown in the console
   */
  constructor(workspace: Workspace, name: string, options: WorkspaceRoleOptions) {
    super(workspace, `Role-${name}`);
    // The WorkspaceRole is named "<workspace>-<name>", at most 63 characters.
    const max = 63 - workspace.workspaceName.length - 1;
    if (max < 1) {
      fail(workspace, 'addRole name', name, `the WorkspaceRole is named "${workspace.workspaceName}-<name>", and the workspace name leaves no room within 63 characters`,
        'give the workspace a name of at most 61 characters');
    }
    const problem = dnsLabelProblem(name, max);
    if (problem) {
      const why = typeof name === 'string' && name.length > max ? ` (the WorkspaceRole is named "${workspace.workspaceName}-<name>", at most 63 characters)` : '';
      fail(workspace, 'addRole name', name, `${problem}${why}`, `use a name like "${suggestDnsLabel(name, max)}"`);
    }
    if ((Object.values(BuiltInWorkspaceRole) as string[]).includes(name)) {
      fail(workspace, 'addRole name', name, 'it is the name of a built-in workspace role that KubeSphere creates itself', `use BuiltInWorkspaceRole.${name.toUpperCase().replace('-', '_')} with addMember, or another name`);
    }
    if (!options.rules || options.rules.length === 0) {
      fail(workspace, `addRole("${name}") rules`, [], 'a role without rules grants nothing', 'give at least one rule, e.g. { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list"] }');
    }
    options.rules.forEach((rule, i) => {
      const bad = (rule.verbs ?? []).filter(v => !VERBS.has(v));
      if (!rule.verbs || rule.verbs.length === 0 || bad.length > 0) {
        fail(workspace, `addRole("${name}") rules[${i}].verbs`, rule.verbs, bad.length > 0 ? `unknown verbs ${bad.join(', ')}` : 'a rule needs verbs',
          'use Kubernetes verbs: get, list, watch, create, update, patch, delete, deletecollection, or *');
      }
      if ((rule.resources ?? []).length === 0 && (rule.nonResourceUrls ?? []).length === 0) {
        fail(workspace, `addRole("${name}") rules[${i}].resources`, rule.resources, 'a rule needs resources or nonResourceUrls', 'list the resources it grants, e.g. ["deployments"]');
      }
    });
    this.roleName = name;
    this.objectName = `${workspace.workspaceName}-${name}`;
    this.workspace = workspace;
    const annotations: { [key: string]: string } = {};
    if (options.displayName) annotations['kubesphere.io/alias-name'] = options.displayName;
    if (options.description) annotations['kubesphere.io/description'] = options.description;
    new ApiObject(this, 'Resource', {
      apiVersion: 'iam.kubesphere.io/v1alpha2',
      kind: 'WorkspaceRole',
      metadata: {
        name: this.objectName,
        labels: { [WORKSPACE_LABEL]: workspace.workspaceName, [KUBEFED_MANAGED]: 'false' },
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      rules: options.rules.map(r => ({
        ...(r.apiGroups ? { apiGroups: [...r.apiGroups] } : {}),
        ...(r.resources ? { resources: [...r.resources] } : {}),
        ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
        ...(r.nonResourceUrls ? { nonResourceURLs: [...r.nonResourceUrls] } : {}),
        verbs: [...r.verbs],
      })),
    });
  }
}

/** Options of `workspace.addProject`. */
export interface ProjectOptions {
  /**
   * Where the project's namespace exists. One member (`Placement.clusters(edge)`) gives a single-cluster project:
   * a plain Namespace in that member's folder. Anything else gives a multi-cluster project: a Namespace on the
   * host plus a `FederatedNamespace` that KubeFed propagates. Must stay within the workspace's placement.
   * @default - the workspace's placement
   */
  readonly placement?: Placement;
  /**
   * Display name (`kubesphere.io/alias-name`).
   * @default - none
   */
  readonly displayName?: string;
  /**
   * Description (`kubesphere.io/description`).
   * @default - none
   */
  readonly description?: string;
  /**
   * More labels on the namespace.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/**
 * A project: a namespace of a workspace, on one member or federated onto several clusters (facts §5.5).
 * Create it with `workspace.addProject`; put federated apps in it.
 */
export class Project extends Construct {
  /** The namespace name. */
  public readonly namespace: string;
  /** The workspace. */
  public readonly workspace: Workspace;
  /** The placement. */
  public readonly placement: Placement;
  /** The member holding a single-cluster project; undefined for a multi-cluster project. */
  public readonly singleCluster?: ClusterChart;
  /** The Namespace object (in the member's folder, or on the host for a multi-cluster project). */
  public readonly namespaceObject: ApiObject;
  /** The FederatedNamespace, for a multi-cluster project. */
  public readonly federatedNamespace?: ApiObject;
  private readonly _labels: { [key: string]: string };

  /**
   * Prefer `workspace.addProject(name, options)`.
   * @param workspace the workspace it belongs to
   * @param name the namespace name
   * @param options its placement, labels and names shown in the console
   */
  constructor(workspace: Workspace, name: string, options: ProjectOptions = {}) {
    super(workspace, `Project-${name}`);
    const problem = dnsLabelProblem(name);
    if (problem) fail(this, 'name', name, problem, `use a namespace name like "${suggestDnsLabel(name)}"`);
    if (name.startsWith('kube-') || name.startsWith('kubesphere-') || name === 'default') {
      fail(this, 'name', name, 'it is a system namespace name (default, kube-*, kubesphere-*)', 'pick a project name of your own');
    }
    checkLabels(this, 'labels', options.labels);
    this.namespace = name;
    this.workspace = workspace;
    this.placement = options.placement ?? workspace.placement;
    checkPlacementClusters(this, 'placement', this.placement, workspace.host);

    const all = federationClusters(this);
    const mine = this.placement._resolve(all);
    const allowed = new Set(workspace.placement._resolve(all));
    const outside = mine.filter(c => !allowed.has(c));
    if (outside.length > 0) {
      fail(this, 'placement', this.placement.description, `clusters ${outside.join(', ')} are outside workspace "${workspace.workspaceName}"'s placement (${[...allowed].join(', ') || 'none'})`,
        'place the project within its workspace\'s clusters, or add those clusters to the workspace');
    }
    const listed = this.placement.listedClusters;
    this.singleCluster = listed && listed.length === 1 ? listed[0] : undefined;

    this._labels = { ...options.labels, [WORKSPACE_LABEL]: workspace.workspaceName };
    const annotations: { [key: string]: string } = {};
    if (options.displayName) annotations['kubesphere.io/alias-name'] = options.displayName;
    if (options.description) annotations['kubesphere.io/description'] = options.description;
    const metaAnnotations = Object.keys(annotations).length > 0 ? { annotations } : {};

    if (this.singleCluster) {
      this.namespaceObject = new ApiObject(this.singleCluster, `Project-${workspace.workspaceName}-${name}`, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { ...this._labels }, ...metaAnnotations },
      });
    } else {
      this.namespaceObject = new ApiObject(this, 'Namespace', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          labels: { ...this._labels, 'kubesphere.io/kubefed-host-namespace': 'true', [KUBEFED_MANAGED]: 'false' },
          ...metaAnnotations,
        },
      });
      this.federatedNamespace = new ApiObject(this, 'FederatedNamespace', {
        apiVersion: 'types.kubefed.io/v1beta1',
        kind: 'FederatedNamespace',
        metadata: { name, namespace: name, labels: { [WORKSPACE_LABEL]: workspace.workspaceName } },
        spec: {
          placement: this.placement._toKube(),
          template: { metadata: { labels: { ...this._labels }, ...metaAnnotations } },
        },
      });
      FederationApp.forScope(this)._registerFederatedNamespaces(() => this.clusterNames.map(cluster => ({ cluster, namespace: this.namespace })));
    }
  }

  /** The clusters the project's namespace exists on, sorted. */
  public get clusterNames(): string[] {
    return this.placement._resolve(federationClusters(this));
  }

  /** The labels of the project's namespace (workspace label included). Returns a copy. */
  public get labels(): { [key: string]: string } {
    return { ...this._labels };
  }
}

/** Props of a workspace. */
export interface WorkspaceProps {
  /** The workspace name: a DNS-1123 label, explicit (never derived from the construct id). */
  readonly name: string;
  /** The clusters the workspace may use (`spec.placement`). */
  readonly placement: Placement;
  /**
   * The user who manages the workspace (`spec.template.spec.manager`); KubeSphere binds them to
   * `<workspace>-admin` when the user exists.
   * @default - no manager
   */
  readonly manager?: string;
  /**
   * Isolate the workspace's network (`spec.template.spec.networkIsolation`).
   * @default false
   */
  readonly networkIsolation?: boolean;
  /**
   * Display name (`kubesphere.io/alias-name`).
   * @default - none
   */
  readonly displayName?: string;
  /**
   * Description (`kubesphere.io/description`).
   * @default - none
   */
  readonly description?: string;
  /**
   * What deleting the WorkspaceTemplate does to the workspace's namespaces.
   * @default WorkspaceDeletionPolicy.ORPHAN
   */
  readonly deletionPolicy?: WorkspaceDeletionPolicy;
}

/**
 * A KubeSphere workspace (tenant), declared on the host as a `WorkspaceTemplate` placed onto clusters; KubeSphere
 * federates it to them. Holds projects, custom roles and member bindings.
 */
export class Workspace extends Construct {
  /** The workspace name. */
  public readonly workspaceName: string;
  /** The host the workspace is declared on. */
  public readonly host: Host;
  /** The clusters the workspace may use. */
  public readonly placement: Placement;
  /** The WorkspaceTemplate object. */
  public readonly workspaceTemplate: ApiObject;
  private readonly projects = new Map<string, Project>();
  private readonly roles = new Map<string, WorkspaceRole>();
  private readonly bindings = new Set<string>();

  /**
   * A KubeSphere workspace, in the host's folder.
   * @param host the host (workspaces live there)
   * @param id the construct id
   * @param props the workspace's name, manager and placement
   */
  constructor(host: Host, id: string, props: WorkspaceProps) {
    super(host, id);
    if (!Host.isHost(host)) fail(this, 'scope', String(host), 'a workspace is declared on the host', 'create it with the Host as scope: new Workspace(host, ...)');
    const problem = dnsLabelProblem(props.name);
    if (problem) fail(this, 'name', props.name, problem, `use a name like "${suggestDnsLabel(props.name)}"`);
    const workspaces = WORKSPACES.get(host) ?? new Map<string, Workspace>();
    WORKSPACES.set(host, workspaces);
    const existing = workspaces.get(props.name);
    if (existing) fail(this, 'name', props.name, `workspace name already used by ${existing.node.path}`, 'give every workspace its own name');
    workspaces.set(props.name, this);
    if (props.manager !== undefined) {
      const managerProblem = dnsLabelProblem(props.manager);
      if (managerProblem) fail(this, 'manager', props.manager, `not a KubeSphere user name: ${managerProblem}`, 'give the user name, e.g. "alice"');
    }
    if (!(props.placement instanceof Placement)) {
      fail(this, 'placement', String(props.placement), 'it is not a Placement', 'use Placement.clusters(...), Placement.members() or Placement.selector(...)');
    }
    checkPlacementClusters(this, 'placement', props.placement, host);
    this.workspaceName = props.name;
    this.host = host;
    this.placement = props.placement;

    const annotations: { [key: string]: string } = {};
    if (props.displayName) annotations['kubesphere.io/alias-name'] = props.displayName;
    if (props.description) annotations['kubesphere.io/description'] = props.description;
    const orphan = (props.deletionPolicy ?? WorkspaceDeletionPolicy.ORPHAN) === WorkspaceDeletionPolicy.ORPHAN;
    this.workspaceTemplate = new ApiObject(this, 'Resource', {
      apiVersion: 'tenant.kubesphere.io/v1alpha2',
      kind: 'WorkspaceTemplate',
      metadata: {
        name: props.name,
        // Host controllers keep their source objects out of KubeFed's hands (facts §5.2).
        labels: { [KUBEFED_MANAGED]: 'false' },
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        ...(orphan ? { finalizers: [ORPHAN_FINALIZER] } : {}),
      },
      spec: {
        template: { spec: { ...(props.manager ? { manager: props.manager } : {}), networkIsolation: props.networkIsolation ?? false } },
        placement: props.placement._toKube(),
      },
    });
  }

  /**
   * Adds a project (namespace) to the workspace.
   * @param name the namespace name, unique in the federation
   * @param options its placement, labels and names shown in the console
   */
  public addProject(name: string, options: ProjectOptions = {}): Project {
    const projects = PROJECTS.get(this.node.root) ?? new Map<string, Project>();
    PROJECTS.set(this.node.root, projects);
    const clash = projects.get(name);
    if (clash) {
      fail(this, 'addProject name', name, `project name already used by ${clash.node.path}`, 'give every project of the federation its own namespace name');
    }
    const project = new Project(this, name, options);
    this.projects.set(name, project);
    projects.set(name, project);
    return project;
  }

  /**
   * Adds a custom workspace role `<workspace>-<name>` with typed rules.
   * @param name the role's short name
   * @param options the rules and the names shown in the console
   */
  public addRole(name: string, options: WorkspaceRoleOptions): WorkspaceRole {
    if (this.roles.has(name)) fail(this, 'addRole name', name, 'the workspace already has a role of that name', 'give every role its own name');
    const role = new WorkspaceRole(this, name, options);
    this.roles.set(name, role);
    return role;
  }

  /**
   * Binds a user to a built-in workspace role: a `WorkspaceRoleBinding` named `<user>-<workspace>-<role>`, as
   * KubeSphere's API names it.
   * @param user the user name
   * @param role the built-in role
   * @returns the binding
   */
  public addMember(user: string, role: BuiltInWorkspaceRole): ApiObject {
    if (!(Object.values(BuiltInWorkspaceRole) as string[]).includes(role)) {
      fail(this, 'addMember role', role, 'it is not a built-in workspace role', 'use BuiltInWorkspaceRole.ADMIN, REGULAR, VIEWER or SELF_PROVISIONER, or addMemberWithRole for a custom role');
    }
    return this.bind(user, `${this.workspaceName}-${role}`);
  }

  /**
   * Binds a user to a custom role of this workspace.
   * @param user the user name
   * @param role a role of this workspace, from `addRole`
   * @returns the binding
   */
  public addMemberWithRole(user: string, role: WorkspaceRole): ApiObject {
    if (role.workspace !== this) {
      fail(this, 'addMemberWithRole role', role.objectName, `the role belongs to workspace "${role.workspace.workspaceName}"`, 'bind users to roles of the same workspace');
    }
    return this.bind(user, role.objectName);
  }

  /** The projects added so far. */
  public get projectList(): Project[] {
    return [...this.projects.values()];
  }

  private bind(user: string, roleName: string): ApiObject {
    const problem = dnsLabelProblem(user);
    if (problem) fail(this, 'user', user, `not a KubeSphere user name: ${problem}`, 'give the user name, e.g. "alice"');
    const name = `${user}-${roleName}`;
    if (this.bindings.has(name)) fail(this, 'user', user, `the user is already bound to ${roleName}`, 'bind each user to a role once');
    this.bindings.add(name);
    return new ApiObject(this, `Binding-${name}`, {
      apiVersion: 'iam.kubesphere.io/v1alpha2',
      kind: 'WorkspaceRoleBinding',
      metadata: {
        name,
        labels: { 'iam.kubesphere.io/user-ref': user, [WORKSPACE_LABEL]: this.workspaceName, [KUBEFED_MANAGED]: 'false' },
      },
      roleRef: { apiGroup: 'iam.kubesphere.io', kind: 'WorkspaceRole', name: roleName },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    });
  }
}
