import { fail, labelKeyProblem, labelValueProblem } from './_util';
import { ClusterChart } from './cluster-chart';
import { ClusterInfo, PlacementSpec, resolvePlacement } from './kubefed-semantics';

/** Operators of a cluster selector expression. */
export enum SelectorOperator {
  /** The label's value is one of `values`. */
  IN = 'In',
  /** The label is absent, or its value is none of `values`. */
  NOT_IN = 'NotIn',
  /** The label is present. */
  EXISTS = 'Exists',
  /** The label is absent. */
  DOES_NOT_EXIST = 'DoesNotExist',
}

/** One expression of a cluster selector. */
export interface ClusterSelectorRequirement {
  /** The label key, e.g. `cluster.kubesphere.io/region`. */
  readonly key: string;
  /** The operator. */
  readonly operator: SelectorOperator;
  /**
   * The values, for In and NotIn.
   * @default - none (Exists, DoesNotExist)
   */
  readonly values?: string[];
}

/** A label selector over the clusters' labels (the `Cluster` labels, which KubeSphere copies to KubeFed). */
export interface ClusterSelectorOptions {
  /**
   * Labels a cluster must have.
   * @default - none
   */
  readonly matchLabels?: { [key: string]: string };
  /**
   * Expressions a cluster must satisfy.
   * @default - none
   */
  readonly matchExpressions?: ClusterSelectorRequirement[];
}

const HOST_LABEL = 'cluster-role.kubesphere.io/host';

/**
 * Where a workspace, project or federated app goes, with KubeFed's semantics: an explicit list of clusters
 * wins; a selector picks the clusters whose labels match it; an empty selector picks every cluster.
 */
export class Placement {
  /**
   * Exactly these clusters (`placement.clusters`).
   * @param clusters members (or the host) of this federation
   */
  public static clusters(...clusters: ClusterChart[]): Placement {
    if (clusters.length === 0) {
      fail('Placement.clusters', 'clusters', [], 'an empty list places on no cluster at all', 'name at least one member, or use Placement.members() or Placement.selector(...)');
    }
    const names = new Set<string>();
    for (const cluster of clusters) {
      if (!ClusterChart.isClusterChart(cluster)) {
        fail('Placement.clusters', 'clusters', String(cluster), 'it is not a Host or Member', 'pass the Member constructs (or the Host)');
      }
      if (names.has(cluster.clusterName)) {
        fail('Placement.clusters', 'clusters', cluster.clusterName, 'the cluster is listed twice', 'list every cluster once');
      }
      names.add(cluster.clusterName);
    }
    return new Placement([...clusters], undefined, `clusters ${[...names].join(', ')}`);
  }

  /**
   * The clusters whose labels match a selector (`placement.clusterSelector`). Note that the host is a cluster
   * too: a selector that its labels match includes it.
   * @param options the labels and expressions a cluster must match
   */
  public static selector(options: ClusterSelectorOptions): Placement {
    const where = 'Placement.selector';
    for (const [key, value] of Object.entries(options.matchLabels ?? {})) {
      const problem = labelKeyProblem(key) ?? labelValueProblem(value);
      if (problem) fail(where, `matchLabels["${key}"]`, value, problem, 'use label keys and values as on the Cluster objects, e.g. { "cluster.kubesphere.io/region": "eu-west" }');
    }
    for (const [i, expr] of (options.matchExpressions ?? []).entries()) {
      const keyProblem = labelKeyProblem(expr.key);
      if (keyProblem) fail(where, `matchExpressions[${i}].key`, expr.key, keyProblem, 'use a label key such as "cluster.kubesphere.io/region"');
      if (!Object.values(SelectorOperator).includes(expr.operator)) {
        fail(where, `matchExpressions[${i}].operator`, expr.operator, 'it is not a selector operator', 'use SelectorOperator.IN, NOT_IN, EXISTS or DOES_NOT_EXIST');
      }
      const withValues = expr.operator === SelectorOperator.IN || expr.operator === SelectorOperator.NOT_IN;
      const values = expr.values ?? [];
      if (withValues && values.length === 0) {
        fail(where, `matchExpressions[${i}].values`, values, `operator ${expr.operator} needs at least one value`, 'list the values, or use Exists / DoesNotExist');
      }
      if (!withValues && values.length > 0) {
        fail(where, `matchExpressions[${i}].values`, values, `operator ${expr.operator} takes no values`, 'drop values, or use In / NotIn');
      }
    }
    const selector: any = {};
    if (options.matchLabels && Object.keys(options.matchLabels).length > 0) selector.matchLabels = { ...options.matchLabels };
    if (options.matchExpressions && options.matchExpressions.length > 0) {
      selector.matchExpressions = options.matchExpressions
        .map(e => ({ key: e.key, operator: e.operator, ...(e.values ? { values: [...e.values] } : {}) }));
    }
    return new Placement(undefined, selector, `selector ${JSON.stringify(selector)}`);
  }

  /** Every member, and never the host: a selector on the absence of the host role label. */
  public static members(): Placement {
    return new Placement(undefined, { matchExpressions: [{ key: HOST_LABEL, operator: 'DoesNotExist' }] }, 'every member');
  }

  /** Every cluster of the federation, the host included (`clusterSelector: {}`). */
  public static all(): Placement {
    return new Placement(undefined, {}, 'every cluster');
  }

  /** A human-readable description, for messages. */
  public readonly description: string;

  private constructor(
    private readonly _clusters: ClusterChart[] | undefined,
    private readonly _selector: any | undefined,
    description: string,
  ) {
    this.description = description;
  }

  /** The explicitly listed clusters, if this is a list placement. Returns a copy. */
  public get listedClusters(): ClusterChart[] | undefined {
    return this._clusters ? [...this._clusters] : undefined;
  }

  /**
   * The KubeFed `placement` object.
   * @internal
   */
  public _toKube(): PlacementSpec {
    if (this._clusters) return { clusters: this._clusters.map(c => ({ name: c.clusterName })) };
    return { clusterSelector: JSON.parse(JSON.stringify(this._selector)) };
  }

  /**
   * The cluster names this placement selects among `clusters`, sorted.
   * @internal
   */
  public _resolve(clusters: ClusterInfo[]): string[] {
    return resolvePlacement(this._toKube(), clusters);
  }
}
