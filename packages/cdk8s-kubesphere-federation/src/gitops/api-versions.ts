/**
 * The API versions of the GitOps objects this library emits, pinned as documented constants.
 *
 * - Argo CD `Application` and `ApplicationSet`: `argoproj.io/v1alpha1`, the only served version since Argo CD 1.x
 *   (still current in Argo CD 2.x and 3.x).
 * - Flux `GitRepository`: `source.toolkit.fluxcd.io/v1`, GA since Flux 2.0.
 * - Flux `Kustomization`: `kustomize.toolkit.fluxcd.io/v1`, GA since Flux 2.0.
 *
 * Our own minimal schemas of these objects (the fields we emit) are tested against every object we emit.
 */
export class GitOpsApiVersions {
  /** Argo CD `Application`, `ApplicationSet` and `ConfigManagementPlugin`. */
  public static readonly ARGO_CD = 'argoproj.io/v1alpha1';
  /** Flux source-controller `GitRepository`. */
  public static readonly FLUX_SOURCE = 'source.toolkit.fluxcd.io/v1';
  /** Flux kustomize-controller `Kustomization`. */
  public static readonly FLUX_KUSTOMIZE = 'kustomize.toolkit.fluxcd.io/v1';

  private constructor() {}
}
