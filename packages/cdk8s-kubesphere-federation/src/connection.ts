import { fail } from './_util';
import { AgentToken, Kubeconfig } from './credentials';

/** How a member's `Cluster` connects to the host (`spec.connection.type`). */
export enum ConnectionType {
  /** The host reaches the member's kube-apiserver with a kubeconfig. */
  DIRECT = 'direct',
  /** The member's cluster agent dials tower on the host (the "agent connection"). */
  PROXY = 'proxy',
}

/** Options of `Connection.direct`. */
export interface DirectConnectionOptions {
  /**
   * The kubeconfig context whose cluster and user the host's `Cluster` object gets. Shorthand for
   * `kubeconfig: Kubeconfig.fromContext(context)`.
   * @default - the member's own context (named like the cluster unless `ksfed --context` maps it)
   */
  readonly context?: string;
  /**
   * Where the kubeconfig comes from, when it is not a context of the kubeconfig `ksfed` runs with.
   * @default Kubeconfig.fromContext(context)
   */
  readonly kubeconfig?: Kubeconfig;
  /**
   * The member's ks-apiserver address (`spec.connection.kubesphereAPIEndpoint`).
   * @default - the host reaches ks-apiserver through the member's kube-apiserver service proxy
   */
  readonly kubesphereApiEndpoint?: string;
}

/** Options of `Connection.agent`. */
export interface AgentConnectionOptions {
  /**
   * The tower address this member's agent dials, e.g. `http://203.0.113.10:8080`.
   * @default - the host's `proxyPublishAddress`, or else the address `ksfed` reads from the tower Service's load balancer at apply time
   */
  readonly proxyAddress?: string;
  /**
   * The token the agent presents to tower.
   * @default AgentToken.generated()
   */
  readonly token?: AgentToken;
}

/**
 * How a member joins the host: directly with a kubeconfig, or through the tower agent.
 */
export class Connection {
  /**
   * The host reaches the member's kube-apiserver directly; the host's `Cluster` carries a kubeconfig that
   * `ksfed` fills in at apply time (never written to the output by default).
   * @param options the kubeconfig the host gets and the ks-apiserver address
   */
  public static direct(options: DirectConnectionOptions = {}): Connection {
    if (options.context !== undefined && options.kubeconfig !== undefined) {
      fail('Connection.direct', 'context', options.context, 'context and kubeconfig were both given', 'give one: context for a context of ksfed\'s kubeconfig, kubeconfig for any other source');
    }
    const endpoint = options.kubesphereApiEndpoint;
    if (endpoint !== undefined) checkUrl('Connection.direct', 'kubesphereApiEndpoint', endpoint, 'http://ks-apiserver.example.com:30880');
    return new Connection(ConnectionType.DIRECT, options.kubeconfig ?? Kubeconfig.fromContext(options.context), endpoint, undefined, undefined);
  }

  /**
   * The member runs tower's cluster agent, which dials the host's tower proxy: for members the host cannot
   * reach. The host's `Cluster` gets `type: proxy`; the member gets the `cluster-agent` Deployment.
   * @param options the tower address and the agent token
   */
  public static agent(options: AgentConnectionOptions = {}): Connection {
    if (options.proxyAddress !== undefined) checkUrl('Connection.agent', 'proxyAddress', options.proxyAddress, 'http://203.0.113.10:8080');
    return new Connection(ConnectionType.PROXY, undefined, undefined, options.proxyAddress, options.token ?? AgentToken.generated());
  }

  private constructor(
    /** The connection type written to `spec.connection.type`. */
    public readonly type: ConnectionType,
    /** Where the kubeconfig of a direct connection comes from. */
    public readonly kubeconfig: Kubeconfig | undefined,
    /** The member's ks-apiserver address, for a direct connection. */
    public readonly kubesphereApiEndpoint: string | undefined,
    /** The tower address an agent dials, when set explicitly. */
    public readonly proxyAddress: string | undefined,
    /** The agent token, for an agent connection. */
    public readonly token: AgentToken | undefined,
  ) {}
}

/**
 * Throws unless `value` is an http(s) URL.
 * @internal
 */
export function checkUrl(where: string, prop: string, value: string, example: string): void {
  let ok = false;
  try {
    const url = new URL(value);
    ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    ok = false;
  }
  if (!ok) fail(where, prop, value, 'it is not an http(s) URL', `write it like "${example}"`);
}
