import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { checkImageRegistry } from '../_util';
import { ComponentSize } from '../component-size';
import { Versions } from '../versions';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './_security';
import { KUBESPHERE_NAMESPACE } from './tower';

const NOBODY = 65534;

/** Props of the cluster agent. */
export interface ClusterAgentProps {
  /** The member's cluster name, as on the host's `Cluster` object. */
  readonly clusterName: string;
  /** The tower address the agent dials (an address, or an apply-time placeholder). */
  readonly proxyAddress: string;
  /** The agent token (an apply-time placeholder, or the token itself). */
  readonly token: string;
  /**
   * Size of the agent container.
   * @default ComponentSize.CLUSTER_AGENT
   */
  readonly size?: ComponentSize;
  /**
   * Registry prefix for the image: `host[:port][/path]` without scheme or trailing `/`.
   * @default - Docker Hub
   */
  readonly imageRegistry?: string;
}

/**
 * Tower's agent on a proxy member (facts §4.2): `cluster-agent` in kubesphere-system, dialling the host's tower.
 * Unlike upstream, the token reaches the agent through a Secret (`cluster-agent-token`) and an environment
 * variable, so it never stands in the Deployment's spec.
 */
export class ClusterAgent extends Construct {
  /** The `cluster-agent` Deployment. */
  public readonly deployment: ApiObject;
  /** The Secret holding the agent token. */
  public readonly tokenSecret: ApiObject;
  /** Size of the agent container. */
  public readonly size: ComponentSize;

  /**
   * Creates the agent Deployment and its token Secret.
   * @param scope the member chart it belongs to
   * @param id the construct id
   * @param props the agent's cluster, tower address, token and size
   */
  constructor(scope: Construct, id: string, props: ClusterAgentProps) {
    super(scope, id);
    const ns = KUBESPHERE_NAMESPACE;
    checkImageRegistry(this, 'imageRegistry', props.imageRegistry);
    this.size = props.size ?? ComponentSize.CLUSTER_AGENT;
    const labels = { 'app': 'agent', 'app.kubernetes.io/part-of': 'tower' };

    this.tokenSecret = new ApiObject(this, 'TokenSecret', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'cluster-agent-token', namespace: ns, labels },
      stringData: { token: props.token },
    });

    this.deployment = new ApiObject(this, 'Deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cluster-agent', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            // KubeSphere's own ServiceAccount: the agent forwards the host's requests with its token.
            serviceAccountName: 'kubesphere',
            securityContext: restrictedPodSecurityContext(NOBODY),
            containers: [{
              name: 'agent',
              image: Versions.image(Versions.TOWER_IMAGE, props.imageRegistry),
              imagePullPolicy: 'IfNotPresent',
              command: [
                '/agent',
                `--name=${props.clusterName}`,
                '--token=$(KS_AGENT_TOKEN)',
                `--proxy-server=${props.proxyAddress}`,
                '--keepalive=10s',
                '--kubesphere-service=ks-apiserver.kubesphere-system.svc:80',
                '--kubernetes-service=kubernetes.default.svc:443',
                '--v=0',
              ],
              env: [{ name: 'KS_AGENT_TOKEN', valueFrom: { secretKeyRef: { name: 'cluster-agent-token', key: 'token' } } }],
              resources: this.size._toKube(),
              securityContext: restrictedContainerSecurityContext(),
            }],
          },
        },
      },
    });
  }
}
