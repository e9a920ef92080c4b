import { dnsSubdomainProblem, fail } from '../_util';
import { placeholderToken } from '../contract/federation-json';

/** Options of `GitOpsCredentials.fromSecret`. */
export interface SecretCredentialsOptions {
  /**
   * The Secret you manage (created by External Secrets, SOPS, Sealed Secrets...) that holds one key per
   * placeholder, named `KSFED_<ID>` (see `GitOpsDelivery.secretKeys()`).
   *
   * Flux: it lives in the Flux namespace of the cluster that runs the Kustomizations and every Kustomization that
   * needs a value lists it in `postBuild.substituteFrom`. Argo CD: it is mounted as environment variables into the
   * `ksfed-envsubst` config management plugin sidecar of `argocd-repo-server`.
   */
  readonly secretName: string;
  /**
   * Argo CD only: the name of the config management plugin that substitutes the `${KSFED_...}` variables.
   * The plugin's definition is emitted as a ConfigMap of the same name in the Argo CD namespace.
   * @default 'ksfed-envsubst'
   */
  readonly argoCdPluginName?: string;
}

/** Options of `GitOpsCredentials.argoCdVaultPlugin`. */
export interface VaultPluginCredentialsOptions {
  /**
   * The secret path that holds one key per placeholder (`KSFED_<ID>`), as argocd-vault-plugin expects it in an
   * inline-path placeholder, e.g. `secret/data/ksfed` for a Vault KV v2 engine mounted at `secret`.
   */
  readonly path: string;
  /**
   * The name under which argocd-vault-plugin is registered as a config management plugin.
   * @default 'argocd-vault-plugin'
   */
  readonly pluginName?: string;
}

/** How the apply-time placeholders of the delivered folders are resolved by the GitOps engine. */
export enum GitOpsCredentialsMode {
  /** `${KSFED_...}` variables substituted from a Secret you manage. */
  SECRET = 'secret',
  /** argocd-vault-plugin inline-path placeholders. */
  VAULT_PLUGIN = 'vault-plugin',
  /** `{{ksfed:...}}` placeholders kept as they are: you render them before the engine reads the repository. */
  KEEP = 'keep',
}

const PLUGIN_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * How a GitOps engine resolves the apply-time placeholders (`{{ksfed:<id>}}`) that `ksfed apply` fills when it
 * pushes: the jwtSecret, member kubeconfigs, agent tokens, the tower address and the KubeFed webhook certificate.
 * A GitOps engine cannot run `ksfed`'s resolution, and nothing secret is ever written to Git: each placeholder
 * becomes a reference to a value you manage outside Git.
 */
export class GitOpsCredentials {
  /**
   * Each placeholder becomes a variable `${KSFED_<ID>}` whose value comes from a Secret you manage.
   *
   * Flux substitutes it natively (`postBuild.substituteFrom`); Argo CD substitutes it with the small
   * `ksfed-envsubst` config management plugin (emitted as a ConfigMap), which reads the Secret as environment
   * variables. Fill the Secret with External Secrets (from Vault, a cloud secret manager, or the host's own
   * `kubesphere-secret` through the Kubernetes provider) or commit it encrypted with SOPS.
   * @param options the Secret's name (and the Argo CD plugin name)
   */
  public static fromSecret(options: SecretCredentialsOptions): GitOpsCredentials {
    const problem = dnsSubdomainProblem(options?.secretName);
    if (problem) {
      fail('GitOpsCredentials.fromSecret', 'secretName', options?.secretName, `it is not a Secret name: ${problem}`, 'name the Secret you manage, e.g. "ksfed-credentials"');
    }
    const plugin = options.argoCdPluginName ?? 'ksfed-envsubst';
    if (!PLUGIN_NAME.test(plugin) || plugin.length > 253) {
      fail('GitOpsCredentials.fromSecret', 'argoCdPluginName', plugin, 'it is not a plugin name (lowercase letters, digits, \'-\' and \'.\')', 'omit it to use "ksfed-envsubst"');
    }
    return new GitOpsCredentials(GitOpsCredentialsMode.SECRET, options.secretName, plugin);
  }

  /**
   * Argo CD only: each placeholder becomes an argocd-vault-plugin inline-path placeholder
   * `<path:<path>#KSFED_<ID>>`, resolved from Vault (or any argocd-vault-plugin backend) when Argo CD renders the
   * folder. The Applications use the plugin as their source plugin.
   * @param options the plugin name and the secret path
   */
  public static argoCdVaultPlugin(options: VaultPluginCredentialsOptions): GitOpsCredentials {
    const path = options?.path;
    if (typeof path !== 'string' || path.length === 0 || /[#<>\s|]/.test(path) || path.startsWith('/')) {
      fail('GitOpsCredentials.argoCdVaultPlugin', 'path', path, 'it is not an argocd-vault-plugin secret path (no leading \'/\', no \'#\', \'<\', \'>\', \'|\' or spaces)',
        'give the path of the secret that holds the KSFED_* keys, e.g. "secret/data/ksfed"');
    }
    const plugin = options.pluginName ?? 'argocd-vault-plugin';
    if (!PLUGIN_NAME.test(plugin) || plugin.length > 253) {
      fail('GitOpsCredentials.argoCdVaultPlugin', 'pluginName', plugin, 'it is not a plugin name (lowercase letters, digits, \'-\' and \'.\')', 'omit it to use "argocd-vault-plugin"');
    }
    return new GitOpsCredentials(GitOpsCredentialsMode.VAULT_PLUGIN, path, plugin);
  }

  /**
   * Opt out: keep the `{{ksfed:<id>}}` placeholders in the delivered folders. Only for pipelines that render the
   * values into the manifests themselves before the engine reads them (never into a Git repository): a GitOps
   * engine applying them as they are would write the placeholder text into the clusters.
   */
  public static keepPlaceholders(): GitOpsCredentials {
    return new GitOpsCredentials(GitOpsCredentialsMode.KEEP, undefined, undefined);
  }

  /** How the placeholders are resolved. */
  public readonly mode: GitOpsCredentialsMode;
  /** The Secret name (`fromSecret`) or secret path (`argoCdVaultPlugin`). */
  public readonly source?: string;
  /** The Argo CD config management plugin the Applications use, when one is needed. */
  public readonly pluginName?: string;

  private constructor(mode: GitOpsCredentialsMode, source: string | undefined, pluginName: string | undefined) {
    this.mode = mode;
    this.source = source;
    this.pluginName = pluginName;
  }

  /**
   * The text that stands for placeholder `id` in the delivered manifests.
   * @internal
   */
  public _render(id: string): string {
    switch (this.mode) {
      case GitOpsCredentialsMode.SECRET: return `\${${secretKeyOf(id)}}`;
      case GitOpsCredentialsMode.VAULT_PLUGIN: return `<path:${this.source}#${secretKeyOf(id)}>`;
      default: return placeholderToken(id);
    }
  }
}

/**
 * The Secret key (and variable name) of a placeholder: `KSFED_` + the id upper-cased, every other character `_`.
 * `kubeconfig/edge-1` gives `KSFED_KUBECONFIG_EDGE_1`.
 * @internal
 */
export function secretKeyOf(id: string): string {
  return `KSFED_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** What a placeholder kind holds and how it is written, for humans. */
const KINDS: { prefix: string; encoding: string; secret: boolean; what: string }[] = [
  { prefix: 'jwt-secret', encoding: 'raw', secret: true, what: 'KubeSphere\'s JWT secret (the host\'s kubesphere-system/kubesphere-secret, key "secret")' },
  { prefix: 'kubeconfig/', encoding: 'base64', secret: true, what: 'the kubeconfig the host uses to reach the member, base64-encoded' },
  { prefix: 'agent-token/', encoding: 'raw', secret: true, what: 'the agent token (e.g. `openssl rand -hex 32`), the same value on the host\'s Cluster and in the member\'s agent Secret' },
  { prefix: 'proxy-address', encoding: 'raw', secret: false, what: 'the tower address agents dial, e.g. http://203.0.113.10:8080 (or set Host proxyPublishAddress)' },
  { prefix: 'kubefed-webhook/', encoding: 'base64', secret: true, what: 'the KubeFed webhook certificate material, base64 PEM (or use WebhookCertificate.certManager)' },
];

/** Certificates are public; everything else but the tower address is a credential. */
function isSecret(id: string): boolean {
  return id !== 'proxy-address' && !id.endsWith('.crt');
}

/**
 * What a placeholder holds, its encoding and whether it is a credential.
 * @internal
 */
export function describePlaceholder(id: string): { encoding: string; secret: boolean; what: string } {
  const kind = KINDS.find(k => (k.prefix.endsWith('/') ? id.startsWith(k.prefix) : id === k.prefix));
  return { encoding: kind?.encoding ?? 'raw', secret: isSecret(id), what: kind?.what ?? 'an apply-time value' };
}
