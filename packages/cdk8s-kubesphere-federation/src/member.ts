import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterRole } from './_output';
import { fail } from './_util';
import { ClusterChart, ClusterOptions } from './cluster-chart';
import { ComponentSize } from './component-size';
import { ClusterAgent } from './components/cluster-agent';
import { Connection, ConnectionType } from './connection';
import { ObjectPointer, PlaceholderSource } from './contract/federation-json';
import { JwtSecret } from './credentials';
import { FederationApp } from './federation-app';
import { Host } from './host';

const MEMBER = Symbol.for('cdk8s-kubesphere-federation.Member');

/** Props of a member cluster. */
export interface MemberProps extends ClusterOptions {
  /** The host that manages this member; it must be in the same FederationApp. */
  readonly host: Host;
  /** How the member joins the host: `Connection.direct()` or `Connection.agent()`. */
  readonly connection: Connection;
  /**
   * The JWT secret. A member must use the host's; give it only to state that explicitly.
   * @default - the host's
   */
  readonly jwtSecret?: JwtSecret;
  /**
   * Enable the App Store on this member. It only works when the host has it (the App Store is global).
   * @default false
   */
  readonly appStore?: boolean;
  /**
   * Size of the cluster agent, for agent members.
   * @default ComponentSize.CLUSTER_AGENT
   */
  readonly agentSize?: ComponentSize;
}

/**
 * A member cluster, managed by the host. Its chart holds what the member gets (its ClusterConfiguration with
 * `clusterRole: member` and, for agent members, the cluster agent); its `Cluster` object goes to the host's folder.
 */
export class Member extends ClusterChart {
  /**
   * Whether `x` is a Member (use this, not `instanceof`, which cdk8s makes true for any chart).
   * @param x any value
   */
  public static isMember(x: any): x is Member {
    return x !== null && typeof x === 'object' && MEMBER in x;
  }

  /** The host that manages this member. */
  public readonly host: Host;
  /** How the member joins the host. */
  public readonly connection: Connection;
  /** The member's ClusterConfiguration (`ks-installer` in kubesphere-system). */
  public readonly clusterConfiguration: ApiObject;
  /** The member's `Cluster` object, in the host's folder. */
  public readonly clusterObject: ApiObject;
  /** The cluster agent, for agent members. */
  public readonly agent?: ClusterAgent;

  /**
   * A member cluster, in its own folder, joined to `props.host`.
   * @param scope the FederationApp
   * @param id the construct id (never the cluster name: that is `props.name`)
   * @param props the member cluster, its host and its connection
   */
  constructor(scope: Construct, id: string, props: MemberProps) {
    super(scope, id, ClusterRole.MEMBER, props);
    Object.defineProperty(this, MEMBER, { value: true });
    const app = FederationApp.forScope(this);
    const host = props.host;
    if (!Host.isHost(host)) {
      fail(this, 'host', String(host), 'it is not a Host', 'pass the Host construct of this federation');
    }
    if (host.node.root !== this.node.root) {
      fail(this, 'host', host.clusterName, `the host ${host.node.path} belongs to another FederationApp (another federation)`,
        'create the member in the same FederationApp as its host; a cluster can be a member of one host only');
    }
    if (props.name === host.clusterName) {
      fail(this, 'name', props.name, `it is the host's cluster name (${host.node.path})`, 'give the member its own name; a cluster is either the host or a member, never both');
    }
    if (!(props.connection instanceof Connection)) {
      fail(this, 'connection', String(props.connection), 'it is not a Connection', 'use Connection.direct({ ... }) or Connection.agent({ ... })');
    }
    if (props.jwtSecret && !props.jwtSecret.sameAs(host.jwtSecret)) {
      fail(this, 'jwtSecret', props.jwtSecret.description, `it differs from the host's jwtSecret (${host.jwtSecret.description}); KubeSphere refuses a member whose jwtSecret is not the host's`,
        'drop jwtSecret from the member (it inherits the host\'s), or give the host and every member the same one');
    }
    if (props.appStore && !host.appStore) {
      fail(this, 'appStore', true, 'the App Store is enabled on this member while it is off on the host, which gives no App Store anywhere',
        `enable it on the host instead (appStore: true on ${host.node.path}); the host's App Store serves every member`);
    }

    this.host = host;
    this.connection = props.connection;
    app._registerCluster({
      chart: this,
      clusterName: this.clusterName,
      role: ClusterRole.MEMBER,
      context: this.context,
      connection: this.connection.type,
      details: () => ({ host: host.clusterName, labels: this.clusterLabels, ...(this.capacity ? { capacity: this.capacity } : {}) }),
    });

    this.clusterConfiguration = this._clusterConfiguration(props.components, {
      authentication: {
        jwtSecret: host._jwtSecretValue(this.clusterName),
        // Members must not issue tokens that outlive the host's (facts §6).
        oauthOptions: { accessTokenMaxAge: 0 },
      },
      ...(host.imageRegistry ? { local_registry: host.imageRegistry } : {}),
      multicluster: { clusterRole: 'member' },
      ...(props.appStore ? { openpitrix: { store: { enabled: true } } } : {}),
    });

    const agentSize = props.agentSize ?? ComponentSize.CLUSTER_AGENT;
    if (this.connection.type === ConnectionType.PROXY) {
      const token = this.agentToken(app);
      this.clusterObject = this._clusterObject(host, `Cluster-${this.clusterName}`, props, {}, {
        joinFederation: true,
        enable: true,
        ...(props.provider ? { provider: props.provider } : {}),
        connection: { type: 'proxy', ...(token.preset ? { token: token.value } : {}) },
      });
      this.agent = new ClusterAgent(this, 'ClusterAgent', {
        clusterName: this.clusterName,
        proxyAddress: this.connection.proxyAddress ?? host._proxyAddressValue(this.clusterName),
        token: token.value,
        size: agentSize,
        imageRegistry: host.imageRegistry,
      });
      this._checkCapacity([{ name: 'cluster-agent', replicas: 1, size: agentSize }]);
    } else {
      if (props.agentSize) {
        fail(this, 'agentSize', props.agentSize.cpuRequest, 'a directly connected member runs no agent', 'drop agentSize, or use Connection.agent()');
      }
      this.clusterObject = this._clusterObject(host, `Cluster-${this.clusterName}`, props, {}, {
        joinFederation: true,
        enable: true,
        ...(props.provider ? { provider: props.provider } : {}),
        connection: {
          type: 'direct',
          kubeconfig: this.kubeconfigValue(app),
          ...(this.connection.kubesphereApiEndpoint ? { kubesphereAPIEndpoint: this.connection.kubesphereApiEndpoint } : {}),
        },
      });
    }
  }

  /** The kubeconfig written into the host's Cluster object: base64 text when inlined, else a placeholder. */
  private kubeconfigValue(app: FederationApp): string {
    const kubeconfig = this.connection.kubeconfig!;
    if (kubeconfig._inline !== undefined) return Buffer.from(kubeconfig._inline, 'utf8').toString('base64');
    const source = kubeconfig._source!;
    const id = `kubeconfig/${this.clusterName}`;
    return app._registerPlaceholder({
      id,
      kind: 'kubeconfig',
      description: `Kubeconfig the host uses to reach member ${this.clusterName} (${kubeconfig.description}), reduced to one cluster and user`,
      encoding: 'base64',
      secret: true,
      source: source.type === 'context' && source.context === undefined ? { ...source, context: this.context, member: this.clusterName } : { ...source, member: this.clusterName },
      requires: [],
    });
  }

  /** The agent token: a placeholder, and whether it is pre-set on the host's Cluster (else tower writes it). */
  private agentToken(app: FederationApp): { value: string; preset: boolean } {
    const token = this.connection.token!;
    const id = `agent-token/${this.clusterName}`;
    const onCluster: ObjectPointer = { cluster: this.host.clusterName, apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', name: this.clusterName, pointer: '/spec/connection/token' };
    const source: PlaceholderSource = token._mode === 'env'
      ? { type: 'env', name: token._envName! }
      : token._mode === 'generated'
        ? { type: 'generate', bytes: 32, format: 'hex', reuse: onCluster }
        : { type: 'read-object', ...onCluster, wait: true };
    const value = app._registerPlaceholder({
      id,
      kind: 'agent-token',
      description: `Token the agent of ${this.clusterName} presents to tower (${token._mode === 'tower' ? 'written by tower' : token._mode === 'env' ? `environment variable ${token._envName}` : 'generated by ksfed once, then reused'})`,
      encoding: 'raw',
      secret: true,
      source,
      requires: token._mode === 'env' ? [] : [this.host.clusterName],
    });
    return { value, preset: token._mode !== 'tower' };
  }
}
