import { Connection, FederationApp, Host, Member } from 'cdk8s-kubesphere-federation';

/** How many members the apply benchmarks' fleet has. */
export const MEMBERS = 10;

/** The apply benchmarks' fleet, synthesized into `outdir`: 1 host + 10 members, 5 joined directly, 5 through the agent. */
export function fleet(outdir: string): FederationApp {
  const app = new FederationApp({ outdir, printWarnings: false });
  const host = new Host(app, 'host', { name: 'host', capacity: { nodes: 3 } });
  for (let i = 0; i < MEMBERS; i++) {
    new Member(app, `m${i}`, { host, name: `member-${i}`, connection: i % 2 === 0 ? Connection.direct() : Connection.agent() });
  }
  app.synth();
  return app;
}
