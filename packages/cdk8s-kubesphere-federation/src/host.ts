import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterRegistration, ClusterRole } from './_output';
import { checkImageRegistry, fail, problemMessage } from './_util';
import { ClusterChart, ClusterOptions } from './cluster-chart';
import { ComponentSize } from './component-size';
import { KubeFedControlPlane, WebhookCertificate } from './components/kubefed';
import { KUBESPHERE_NAMESPACE, Tower, TowerServiceType } from './components/tower';
import { checkUrl } from './connection';
import { JwtSecret } from './credentials';
import { FederationApp } from './federation-app';

const HOST = Symbol.for('cdk8s-kubesphere-federation.Host');

/** Who installs KubeFed and tower on the host. */
export enum ComponentOwner {
  /**
   * This library emits KubeFed and tower (sized, hardened, pruned with the rest) and marks the host's
   * ClusterConfiguration `status.multicluster.status: enabled`, so ks-installer's one-shot multicluster step,
   * which only runs while that status is not `enabled`, never installs a second copy.
   */
  LIBRARY = 'library',
  /**
   * ks-installer installs KubeFed and tower (its Helm release and tower.yaml); this library emits only the
   * ClusterConfiguration and the `Cluster` objects. Sizes here are then used for capacity checks only.
   */
  INSTALLER = 'installer',
}

/** Sizes of the host's federation components. */
export interface HostComponentSizes {
  /**
   * Each KubeFed controller-manager replica.
   * @default ComponentSize.KUBEFED_CONTROLLER_MANAGER
   */
  readonly kubefedControllerManager?: ComponentSize;
  /**
   * The KubeFed admission webhook.
   * @default ComponentSize.KUBEFED_ADMISSION_WEBHOOK
   */
  readonly kubefedAdmissionWebhook?: ComponentSize;
  /**
   * The tower proxy.
   * @default ComponentSize.TOWER
   */
  readonly tower?: ComponentSize;
}

/** Props of the host cluster. */
export interface HostProps extends ClusterOptions {
  /**
   * The JWT secret shared by the host and every member.
   * @default JwtSecret.fromHostCluster() - ks-installer's generated secret, read from the host at apply time
   */
  readonly jwtSecret?: JwtSecret;
  /**
   * Enable the App Store (`openpitrix.store.enabled`). It is global: enable it on the host only.
   * @default false
   */
  readonly appStore?: boolean;
  /**
   * The tower address agents dial (`multicluster.proxyPublishAddress`), e.g. `http://203.0.113.10:8080`.
   * @default - read from the tower Service's load balancer by `ksfed` at apply time
   */
  readonly proxyPublishAddress?: string;
  /**
   * How the tower Service is exposed.
   * @default TowerServiceType.LOAD_BALANCER
   */
  readonly towerServiceType?: TowerServiceType;
  /**
   * The tower node port, with `TowerServiceType.NODE_PORT`.
   * @default - assigned by Kubernetes
   */
  readonly towerNodePort?: number;
  /**
   * Registry prefix for every image (and ks-installer's `local_registry`), for air-gapped installs:
   * `host[:port][/path]` without scheme or trailing `/`, e.g. `registry.example.com:5000`.
   * @default - Docker Hub
   */
  readonly imageRegistry?: string;
  /**
   * Who installs KubeFed and tower.
   * @default ComponentOwner.LIBRARY
   */
  readonly componentOwner?: ComponentOwner;
  /**
   * Sizes of the federation components.
   * @default - the upstream sizes (see ComponentSize)
   */
  readonly sizes?: HostComponentSizes;
  /**
   * KubeFed controller-manager replicas.
   * @default - 2 when `capacity.nodes` is 3 or more, else 1 (ks-installer's rule)
   */
  readonly kubefedControllerReplicas?: number;
  /**
   * How the KubeFed admission webhook gets its serving certificate.
   * @default WebhookCertificate.applyTime()
   */
  readonly webhookCertificate?: WebhookCertificate;
}

/**
 * The host cluster: KubeSphere's central control plane of the federation, and the chart of everything the host
 * gets: its ClusterConfiguration (`clusterRole: host`), its own `Cluster` object, KubeFed and tower, and the
 * `Cluster` object of every member.
 */
export class Host extends ClusterChart {
  /**
   * Whether `x` is a Host (use this, not `instanceof`, which cdk8s makes true for any chart).
   * @param x any value
   */
  public static isHost(x: any): x is Host {
    return x !== null && typeof x === 'object' && HOST in x;
  }

  /** The shared JWT secret of the federation. */
  public readonly jwtSecret: JwtSecret;
  /** Whether the App Store is enabled. */
  public readonly appStore: boolean;
  /** The address agents dial, when set. */
  public readonly proxyPublishAddress?: string;
  /** Registry prefix for images, if any. */
  public readonly imageRegistry?: string;
  /** Who installs KubeFed and tower. */
  public readonly componentOwner: ComponentOwner;
  /** The host's ClusterConfiguration (`ks-installer` in kubesphere-system). */
  public readonly clusterConfiguration: ApiObject;
  /** The host's own `Cluster` object. */
  public readonly clusterObject: ApiObject;
  /** KubeFed, when the library installs it. */
  public readonly kubefed?: KubeFedControlPlane;
  /** Tower, when the library installs it. */
  public readonly tower?: Tower;
  /** KubeFed controller-manager replicas. */
  public readonly kubefedControllerReplicas: number;
  /** Agent members that dial tower at the load balancer's address, read at apply time. */
  private readonly loadBalancerAgents: string[] = [];

  /**
   * The host cluster, in its own folder.
   * @param scope the FederationApp
   * @param id the construct id (never the cluster name: that is `props.name`)
   * @param props the host cluster
   */
  constructor(scope: Construct, id: string, props: HostProps) {
    super(scope, id, ClusterRole.HOST, props);
    Object.defineProperty(this, HOST, { value: true });
    const app = FederationApp.forScope(this);
    const existing = app.node.findAll().find(c => Host.isHost(c) && c !== this);
    if (existing) {
      fail(this, 'Host', props.name, `this federation already has a host, ${(existing as Host).node.path} ("${(existing as Host).clusterName}"); KubeSphere allows exactly one`,
        'make this cluster a Member of the existing host, or put the second federation in its own FederationApp');
    }
    app._registerCluster({
      chart: this,
      clusterName: this.clusterName,
      role: ClusterRole.HOST,
      context: this.context,
      details: () => this.details(),
    });

    this.jwtSecret = props.jwtSecret ?? JwtSecret.fromHostCluster();
    this.appStore = props.appStore ?? false;
    checkImageRegistry(this, 'imageRegistry', props.imageRegistry);
    this.imageRegistry = props.imageRegistry;
    this.componentOwner = props.componentOwner ?? ComponentOwner.LIBRARY;
    if (props.proxyPublishAddress !== undefined) checkUrl(this.node.path, 'proxyPublishAddress', props.proxyPublishAddress, 'http://203.0.113.10:8080');
    this.proxyPublishAddress = props.proxyPublishAddress;
    if (props.towerServiceType !== undefined && props.towerServiceType !== TowerServiceType.LOAD_BALANCER && !props.proxyPublishAddress) {
      fail(this, 'proxyPublishAddress', props.proxyPublishAddress, `with towerServiceType ${props.towerServiceType} there is no load balancer address to give the agents`,
        'set proxyPublishAddress to the address agents reach tower at, e.g. "http://<node-ip>:<nodePort>"');
    }

    const nodes = props.capacity?.nodes;
    this.kubefedControllerReplicas = props.kubefedControllerReplicas ?? (nodes !== undefined && nodes >= 3 ? 2 : 1);
    const sizes = props.sizes ?? {};
    const controllerSize = sizes.kubefedControllerManager ?? ComponentSize.KUBEFED_CONTROLLER_MANAGER;
    const webhookSize = sizes.kubefedAdmissionWebhook ?? ComponentSize.KUBEFED_ADMISSION_WEBHOOK;
    const towerSize = sizes.tower ?? ComponentSize.TOWER;

    this.clusterConfiguration = this._clusterConfiguration(props.components, {
      ...(this.jwtSecret.fromHost ? {} : { authentication: { jwtSecret: this._jwtSecretValue(this.clusterName) } }),
      ...(this.imageRegistry ? { local_registry: this.imageRegistry } : {}),
      multicluster: {
        clusterRole: 'host',
        hostClusterName: this.clusterName,
        ...(this.proxyPublishAddress ? { proxyPublishAddress: this.proxyPublishAddress } : {}),
      },
      ...(this.appStore ? { openpitrix: { store: { enabled: true } } } : {}),
    },
    this.componentOwner === ComponentOwner.LIBRARY ? { multicluster: { status: 'enabled' } } : undefined);

    this.clusterObject = this._clusterObject(this, 'Cluster', props, {
      'cluster-role.kubesphere.io/host': '',
      // The cluster controller keeps the kubeconfig of a managed host Cluster up to date itself.
      'kubesphere.io/managed': 'true',
    }, {
      joinFederation: true,
      enable: true,
      provider: props.provider ?? 'kubesphere',
      connection: { type: 'direct' },
    });

    if (this.componentOwner === ComponentOwner.LIBRARY) {
      this.kubefed = new KubeFedControlPlane(this, 'KubeFed', {
        controllerReplicas: this.kubefedControllerReplicas,
        controllerSize,
        webhookSize,
        imageRegistry: this.imageRegistry,
        webhookCertificate: props.webhookCertificate,
      });
      this.tower = new Tower(this, 'Tower', {
        size: towerSize,
        serviceType: props.towerServiceType,
        nodePort: props.towerNodePort,
        imageRegistry: this.imageRegistry,
      });
    } else if (props.webhookCertificate || props.towerServiceType || props.towerNodePort) {
      fail(this, 'componentOwner', this.componentOwner, 'webhookCertificate, towerServiceType and towerNodePort only apply when this library installs KubeFed and tower',
        'drop them, or use ComponentOwner.LIBRARY');
    }

    this._checkCapacity([
      { name: 'kubefed-controller-manager', replicas: this.kubefedControllerReplicas, size: controllerSize },
      { name: 'kubefed-admission-webhook', replicas: 1, size: webhookSize },
      { name: 'tower', replicas: 1, size: towerSize },
    ]);
  }

  /**
   * The value to write for the jwtSecret into the ClusterConfiguration of `clusterName`: the plain text when
   * inlined, else a placeholder `ksfed` fills at apply time.
   * @internal
   */
  public _jwtSecretValue(clusterName: string): string {
    if (this.jwtSecret._plainText !== undefined) return this.jwtSecret._plainText;
    return FederationApp.forScope(this)._registerPlaceholder({
      id: 'jwt-secret',
      kind: 'jwt-secret',
      description: `KubeSphere's JWT secret, shared by the host and every member (${this.jwtSecret.description})`,
      encoding: 'raw',
      secret: true,
      source: { ...this.jwtSecret._source!, ...(this.jwtSecret.fromHost ? { cluster: this.clusterName } : {}) },
      requires: this.jwtSecret.fromHost && clusterName !== this.clusterName ? [this.clusterName] : [],
    });
  }

  /**
   * The tower address for agents: explicit, else an apply-time placeholder read from the tower Service.
   * @param member the agent member that dials it (reported by `_federationWarnings` when it is the placeholder)
   * @internal
   */
  public _proxyAddressValue(member: string): string {
    if (this.proxyPublishAddress) return this.proxyPublishAddress;
    this.loadBalancerAgents.push(member);
    return FederationApp.forScope(this)._registerPlaceholder({
      id: 'proxy-address',
      kind: 'proxy-address',
      description: 'The tower address agents dial, read from the tower Service\'s load balancer on the host',
      encoding: 'raw',
      secret: false,
      source: { type: 'service-address', cluster: this.clusterName, namespace: KUBESPHERE_NAMESPACE, name: 'tower', port: 8080, scheme: 'http' },
      requires: [this.clusterName],
    });
  }

  /**
   * Warns when agent members depend on the tower LoadBalancer getting an external address: without a
   * load-balancer controller none arrives, and the agents have nothing to dial.
   * @internal
   */
  public _federationWarnings(): string[] {
    const agents = this.loadBalancerAgents;
    if (agents.length === 0) return [];
    const names = agents.length > 5 ? `${agents.slice(0, 5).join(', ')} and ${agents.length - 5} more` : agents.join(', ');
    return [problemMessage(this, 'proxyPublishAddress', this.proxyPublishAddress,
      `agent member${agents.length > 1 ? 's' : ''} ${names} dial${agents.length > 1 ? '' : 's'} tower at the external address of its LoadBalancer Service, which ksfed reads at apply time; on a cluster without a load-balancer controller (bare metal, kind) none arrives and the agents cannot connect`,
      'make sure the host gives LoadBalancer Services an external address, or set proxyPublishAddress (e.g. towerServiceType: TowerServiceType.NODE_PORT with "http://<node-ip>:<nodePort>"), or give the agent members Connection.agent({ proxyAddress })')];
  }

  private details(): ReturnType<ClusterRegistration['details']> {
    return {
      labels: this.clusterLabels,
      componentOwner: this.componentOwner,
      ...(this.capacity ? { capacity: this.capacity } : {}),
    };
  }
}
