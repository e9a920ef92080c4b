/**
 * The versions and images this library targets, pinned as documented constants.
 *
 * They are the ones KubeSphere v3.4.1's installer deploys (ks-installer@v3.4.1
 * roles/download/defaults/main.yml). Change them only together with the facts they rest on.
 */
export class Versions {
  /** The KubeSphere release the generated configuration targets. */
  public static readonly KUBESPHERE = 'v3.4.1';
  /** The KubeFed release KubeSphere v3.4.1 runs (image tag of the controller-manager and webhook). */
  public static readonly KUBEFED = 'v0.8.1';
  /** The tower release KubeSphere v3.4.1 runs (proxy on the host, agent on proxy members). */
  public static readonly TOWER = 'v0.2.1';
  /** Image of the KubeFed controller-manager and admission webhook, without a registry prefix. */
  public static readonly KUBEFED_IMAGE = 'kubesphere/kubefed:v0.8.1';
  /** Image of the tower proxy and of the cluster agent, without a registry prefix. */
  public static readonly TOWER_IMAGE = 'kubesphere/tower:v0.2.1';

  /**
   * An image reference with an optional registry prefix, as ks-installer's `local_registry` does it:
   * `registry.local:5000` + `kubesphere/tower:v0.2.1` gives `registry.local:5000/kubesphere/tower:v0.2.1`.
   * @param image the image without a registry
   * @param registry the registry prefix, or undefined for Docker Hub
   */
  public static image(image: string, registry?: string): string {
    if (!registry) return image;
    return `${registry.replace(/\/+$/, '')}/${image}`;
  }

  private constructor() {}
}
