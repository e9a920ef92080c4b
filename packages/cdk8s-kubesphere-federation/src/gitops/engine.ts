import { ArgoCdOptions, checkArgoCdOptions } from './argocd';
import { checkFluxOptions, FluxOptions } from './flux';

/** The GitOps engines a delivery can target. */
export enum GitOpsEngineKind {
  /** Argo CD: `ApplicationSet` or `Application`s. */
  ARGO_CD = 'argo-cd',
  /** Flux: `GitRepository` and `Kustomization`s. */
  FLUX = 'flux',
}

/**
 * The GitOps engine that pulls the per-cluster folders from Git, with its typed options.
 */
export class GitOpsEngine {
  /**
   * Argo CD: one ApplicationSet (default) or one Application per cluster folder, in the Argo CD namespace of the management cluster.
   * @param options the Argo CD namespace, project, mode and sync policy
   */
  public static argoCd(options: ArgoCdOptions = {}): GitOpsEngine {
    checkArgoCdOptions(options);
    return new GitOpsEngine(GitOpsEngineKind.ARGO_CD, options, undefined);
  }

  /**
   * Flux: a GitRepository and one Kustomization per cluster folder.
   * @param options the Flux namespace, topology, intervals and kubeconfig Secrets
   */
  public static flux(options: FluxOptions = {}): GitOpsEngine {
    checkFluxOptions(options);
    return new GitOpsEngine(GitOpsEngineKind.FLUX, undefined, options);
  }

  /** Which engine. */
  public readonly kind: GitOpsEngineKind;

  private constructor(
    kind: GitOpsEngineKind,
    /** @internal */ public readonly _argoCd: ArgoCdOptions | undefined,
    /** @internal */ public readonly _flux: FluxOptions | undefined,
  ) {
    this.kind = kind;
  }
}
