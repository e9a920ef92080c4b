import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { Connection, FederationApp, Host, Member } from '../../src';
import { configManagementPluginSchema, gitOpsCrds } from '../../src/gitops/schemas';
import { testApp } from '../util/fleet';
import { validateAgainstCrd, validateAgainstSchema } from '../util/schema';

/** A repository URL used by the tests. */
export const REPO = 'https://git.example.com/platform/fleet.git';

/** The quickstart-like fleet: a host, a direct member edge-1 and an agent member branch-7. */
export function fleet(app: FederationApp = testApp()): { app: FederationApp; host: Host; edge: Member; branch: Member } {
  const host = new Host(app, 'host', { name: 'host' });
  const edge = new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
  const branch = new Member(app, 'branch-7', { host, name: 'branch-7', connection: Connection.agent() });
  return { app, host, edge, branch };
}

/** Every object of every cluster folder, with the cluster it goes to. */
export function everything(app: FederationApp): { cluster: string; object: any }[] {
  return app.clusterNames.flatMap(cluster => app.manifests(cluster).map(object => ({ cluster, object })));
}

/** The objects of an Argo CD or Flux kind in a cluster's folder. */
export function gitOpsObjects(app: FederationApp, cluster: string, kind: string): any[] {
  return app.manifests(cluster).filter(o => o.kind === kind && /argoproj\.io|fluxcd\.io/.test(o.apiVersion));
}

/**
 * Validates an emitted GitOps object against our schema of its kind (and the plugin ConfigMap's plugin.yaml
 * against the ConfigManagementPlugin schema); returns the errors, [] when valid.
 */
export function validateGitOps(object: any): string[] {
  if (object.kind === 'ConfigMap') {
    return validateAgainstSchema(configManagementPluginSchema(), parse(object.data['plugin.yaml']));
  }
  const crd = gitOpsCrds()[`${object.apiVersion}/${object.kind}`];
  if (!crd) return [`no schema for ${object.apiVersion}/${object.kind}`];
  return validateAgainstCrd(crd, object);
}

/** The text of every file under `dir`, by relative path. */
export function readTree(dir: string, prefix = ''): { [file: string]: string } {
  const out: { [file: string]: string } = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, readTree(full, `${prefix}${entry.name}/`));
    else out[`${prefix}${entry.name}`] = fs.readFileSync(full, 'utf8');
  }
  return out;
}
