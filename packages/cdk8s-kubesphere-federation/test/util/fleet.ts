import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FederationApp } from '../../src';

/** A FederationApp writing into a fresh temporary folder; synth prints its warnings only when asked. */
export function testApp(printWarnings = false): FederationApp {
  return new FederationApp({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-test-')), printWarnings });
}

/** The objects of `cluster` with the given kind (and name). */
export function objectsOf(app: FederationApp, cluster: string, kind: string, name?: string): any[] {
  return app.manifests(cluster).filter(o => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/** The single object of `cluster` with the given kind and name; fails when absent. */
export function objectOf(app: FederationApp, cluster: string, kind: string, name: string): any {
  const found = objectsOf(app, cluster, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name} in ${cluster}, found ${found.length}`);
  return found[0];
}
