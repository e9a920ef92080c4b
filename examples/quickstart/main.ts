// The quickstart fleet: a KubeSphere host, one member joined directly and one through the tower agent.
import { Connection, FederationApp, Host, Member } from 'cdk8s-kubesphere-federation';

/** Builds the quickstart federation into `app`. */
export function quickstart(app: FederationApp): void {
  const host = new Host(app, 'host', {
    name: 'host',
    region: 'eu-central',
    capacity: { nodes: 3, cpu: '4', memory: '8Gi' },
  });

  new Member(app, 'edge-1', {
    host,
    name: 'edge-1',
    region: 'eu-west',
    group: 'production',
    connection: Connection.direct(),
  });

  new Member(app, 'branch-7', {
    host,
    name: 'branch-7',
    region: 'eu-west',
    group: 'development',
    connection: Connection.agent(),
  });
}

if (require.main === module) {
  const app = new FederationApp();
  quickstart(app);
  app.synth();
}
