import { Chart } from 'cdk8s';
import { ApplyPhase, ClusterRole, FederationJsonCluster } from './contract/federation-json';
import { phaseOf as kindPhase } from './contract/kinds';

export { ApplyPhase, ClusterRole } from './contract/federation-json';

/** The apply phase of an object, from its apiVersion and kind (the table of kinds, src/contract/kinds.ts). */
export function phaseOf(apiVersion: string, kind: string): ApplyPhase {
  return kindPhase(apiVersion, kind) as ApplyPhase;
}

/**
 * What every cluster chart tells the app about itself.
 */
export interface ClusterRegistration {
  readonly chart: Chart;
  readonly clusterName: string;
  readonly role: ClusterRole;
  readonly context: string;
  readonly connection?: FederationJsonCluster['connection'];
  /** What federation.json tells about the cluster besides its name, role, context and objects. */
  readonly details: () => Pick<FederationJsonCluster, 'host' | 'labels' | 'componentOwner' | 'capacity'>;
}

