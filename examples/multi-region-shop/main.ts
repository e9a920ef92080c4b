// A shop on three members in two regions: one workspace, one multi-cluster project, and a web tier
// (Deployment + Service + ConfigMap) federated with per-cluster image mirrors and weighted replicas,
// once through KubeFed (federated mode) and once rendered straight into each member's folder.
import {
  BuiltInWorkspaceRole, Connection, FederatedApp, FederationApp, FederationMode, Host, Member, Placement, User, Workspace,
} from 'cdk8s-kubesphere-federation';
import * as kplus from 'cdk8s-plus-27';

/** Builds the multi-region shop into `app`. */
export function multiRegionShop(app: FederationApp): void {
  const host = new Host(app, 'host', { name: 'host', region: 'eu-central', capacity: { nodes: 3 } });
  const euWest1 = new Member(app, 'eu-west-1', { host, name: 'eu-west-1', region: 'eu-west', group: 'production', connection: Connection.direct() });
  const euWest2 = new Member(app, 'eu-west-2', { host, name: 'eu-west-2', region: 'eu-west', group: 'production', connection: Connection.direct() });
  const apSouth = new Member(app, 'ap-south-1', { host, name: 'ap-south-1', region: 'ap-south', group: 'production', connection: Connection.agent() });

  // alice's bcrypt password hash comes from the environment when set: none is written into the repository
  new User(host, 'alice', { name: 'alice', email: 'alice@shop.example.com', passwordHash: process.env.ALICE_PASSWORD_HASH });
  const shop = new Workspace(host, 'shop', { name: 'shop', manager: 'alice', placement: Placement.members() });
  shop.addMember('bob', BuiltInWorkspaceRole.REGULAR);
  const deployer = shop.addRole('deployer', { rules: [{ apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['get', 'list', 'update', 'patch'] }] });
  shop.addMemberWithRole('carol', deployer);

  const prod = shop.addProject('shop-prod', { placement: Placement.selector({ matchLabels: { 'cluster.kubesphere.io/group': 'production' } }) });

  for (const mode of [FederationMode.FEDERATED, FederationMode.RENDERED]) {
    const name = mode === FederationMode.FEDERATED ? 'web' : 'web-pull';
    const web = new FederatedApp(prod, name, { mode, placement: Placement.clusters(euWest1, euWest2, apSouth) });
    const config = new kplus.ConfigMap(web.template, `${name}-config`, { data: { GREETING: 'hello from the shop' } });
    const deployment = new kplus.Deployment(web.template, name, {
      replicas: 3,
      containers: [{
        name: 'web',
        image: 'nginx:1.25',
        portNumber: 8080,
        envFrom: [kplus.Env.fromConfigMap(config)],
        securityContext: { user: 101, group: 101 },
      }],
    });
    deployment.exposeViaService({ name, ports: [{ port: 80, targetPort: 8080 }] });
    // The Asian member pulls from a local mirror and runs with a regional setting.
    web.override(apSouth, deployment, { image: 'mirror.ap-south.example.com/library/nginx:1.25', env: { REGION: 'ap-south' } });
    // 10 replicas, weighted 3:2:1 across the three members, at least 1 in Asia.
    web.scheduleReplicas({
      totalReplicas: 10,
      clusters: [
        { cluster: euWest1, weight: 3 },
        { cluster: euWest2, weight: 2 },
        { cluster: apSouth, weight: 1, minReplicas: 1 },
      ],
    });
  }
}

if (require.main === module) {
  const app = new FederationApp();
  multiRegionShop(app);
  app.synth();
}
