import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { checkImageRegistry, fail } from '../_util';
import { ComponentSize } from '../component-size';
import { Versions } from '../versions';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './_security';

/** The namespace KubeSphere runs tower and the cluster agent in. */
export const KUBESPHERE_NAMESPACE = 'kubesphere-system';
const NOBODY = 65534;

/** How the tower Service is exposed to the agents of proxy members. */
export enum TowerServiceType {
  /** A cloud load balancer (upstream default); `ksfed` reads its address for the agents. */
  LOAD_BALANCER = 'LoadBalancer',
  /** A port on every node; set the host's `proxyPublishAddress` to `http://<node-ip>:<nodePort>`. */
  NODE_PORT = 'NodePort',
  /** Cluster-internal only; expose it yourself (Ingress, tunnel) and set `proxyPublishAddress`. */
  CLUSTER_IP = 'ClusterIP',
}

/** Props of the tower proxy. */
export interface TowerProps {
  /**
   * Size of the tower container.
   * @default ComponentSize.TOWER
   */
  readonly size?: ComponentSize;
  /**
   * How the tower Service is exposed.
   * @default TowerServiceType.LOAD_BALANCER
   */
  readonly serviceType?: TowerServiceType;
  /**
   * The node port, with `TowerServiceType.NODE_PORT`.
   * @default - assigned by Kubernetes
   */
  readonly nodePort?: number;
  /**
   * Registry prefix for the image: `host[:port][/path]` without scheme or trailing `/`.
   * @default - Docker Hub
   */
  readonly imageRegistry?: string;
}

/**
 * Tower's proxy on the host (facts §4.1): the agents of proxy members connect to it, and it gives KubeSphere a
 * `mc-<cluster>` Service per proxy member. Runs with its own least-privilege ServiceAccount instead of
 * KubeSphere's cluster-admin one.
 */
export class Tower extends Construct {
  /** The tower Deployment. */
  public readonly deployment: ApiObject;
  /** The tower Service (port 8080). */
  public readonly service: ApiObject;
  /** Size of the tower container. */
  public readonly size: ComponentSize;

  /**
   * The tower proxy that agent members dial.
   * @param scope the host chart
   * @param id the construct id
   * @param props how the tower Service is exposed, size and registry
   */
  constructor(scope: Construct, id: string, props: TowerProps = {}) {
    super(scope, id);
    const ns = KUBESPHERE_NAMESPACE;
    const serviceType = props.serviceType ?? TowerServiceType.LOAD_BALANCER;
    if (props.nodePort !== undefined) {
      if (serviceType !== TowerServiceType.NODE_PORT) {
        fail(this, 'nodePort', props.nodePort, `it only applies to TowerServiceType.NODE_PORT, not ${serviceType}`, 'set serviceType: TowerServiceType.NODE_PORT or drop nodePort');
      }
      if (!Number.isInteger(props.nodePort) || props.nodePort < 30000 || props.nodePort > 32767) {
        fail(this, 'nodePort', props.nodePort, 'node ports are whole numbers from 30000 to 32767 by default', 'pick a free port in that range');
      }
    }
    checkImageRegistry(this, 'imageRegistry', props.imageRegistry);
    this.size = props.size ?? ComponentSize.TOWER;
    const labels = { 'app': 'tower', 'app.kubernetes.io/name': 'tower' };

    new ApiObject(this, 'ServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'tower', namespace: ns, labels } });
    new ApiObject(this, 'ClusterRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kubesphere:tower', labels },
      rules: [{ apiGroups: ['cluster.kubesphere.io'], resources: ['clusters'], verbs: ['get', 'list', 'watch', 'update', 'patch'] }],
    });
    new ApiObject(this, 'ClusterRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kubesphere:tower', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubesphere:tower' },
      subjects: [{ kind: 'ServiceAccount', name: 'tower', namespace: ns }],
    });
    new ApiObject(this, 'Role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'tower', namespace: ns, labels },
      rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }],
    });
    new ApiObject(this, 'RoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'tower', namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tower' },
      subjects: [{ kind: 'ServiceAccount', name: 'tower', namespace: ns }],
    });

    this.deployment = new ApiObject(this, 'Deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'tower', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'tower',
            securityContext: restrictedPodSecurityContext(NOBODY),
            containers: [{
              name: 'tower',
              image: Versions.image(Versions.TOWER_IMAGE, props.imageRegistry),
              imagePullPolicy: 'IfNotPresent',
              command: ['/proxy', '--ca-cert=/ca.crt', '--ca-key=/ca.key', '--v=4'],
              ports: [{ name: 'tower', containerPort: 8080, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 3, periodSeconds: 10 },
              resources: this.size._toKube(),
              securityContext: restrictedContainerSecurityContext(),
            }],
          },
        },
      },
    });

    this.service = new ApiObject(this, 'Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'tower', namespace: ns, labels },
      spec: {
        type: serviceType,
        selector: { app: 'tower' },
        ports: [{ name: 'tower', port: 8080, targetPort: 8080, protocol: 'TCP', ...(props.nodePort ? { nodePort: props.nodePort } : {}) }],
        ...(serviceType === TowerServiceType.CLUSTER_IP ? {} : { externalTrafficPolicy: 'Cluster' }),
      },
    });
  }
}
