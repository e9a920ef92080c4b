import { fail } from './_util';
import { ContextSource, EnvSource, FileSource, HostSecretSource } from './contract/federation-json';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkEnvName(where: string, name: string): void {
  if (!ENV_NAME.test(name ?? '')) {
    fail(where, 'name', name, 'it is not an environment variable name', 'use letters, digits and \'_\', not starting with a digit, e.g. "KS_JWT_SECRET"');
  }
}

function checkPath(where: string, path: string): void {
  if (typeof path !== 'string' || path.trim().length === 0) {
    fail(where, 'path', path, 'it is empty', 'give the path of the file ksfed reads at apply time');
  }
}

/**
 * The JWT signing secret KubeSphere shares between the host and every member (facts §2, §7).
 *
 * A member whose jwtSecret differs from the host's cannot be joined, so a federation has exactly one.
 * It is never written to the synthesized output unless you choose `JwtSecret.unsafePlainText`.
 */
export class JwtSecret {
  /**
   * Use the secret the host already has (`kubesphere-system/kubesphere-secret`, key `secret`, which ks-installer
   * generates when the ClusterConfiguration leaves it empty). `ksfed` reads it from the host at apply time and
   * writes it into each member's ClusterConfiguration. The host's own ClusterConfiguration leaves it unset.
   */
  public static fromHostCluster(): JwtSecret {
    return new JwtSecret({ type: 'host-secret', namespace: 'kubesphere-system', name: 'kubesphere-secret', key: 'secret' }, 'the host\'s kubesphere-secret');
  }

  /**
   * Read by `ksfed` from an environment variable at apply time.
   * @param name the environment variable that holds the secret
   */
  public static fromEnv(name: string): JwtSecret {
    checkEnvName('JwtSecret.fromEnv', name);
    return new JwtSecret({ type: 'env', name }, `environment variable ${name}`);
  }

  /**
   * Read by `ksfed` from a file at apply time (trailing newlines are dropped).
   * @param path the file that holds the secret
   */
  public static fromFile(path: string): JwtSecret {
    checkPath('JwtSecret.fromFile', path);
    return new JwtSecret({ type: 'file', path }, `file ${path}`);
  }

  /**
   * The secret itself, written in plain text into every cluster's ClusterConfiguration in the output.
   * Explicit opt-in: anyone who can read the output (a Git repository) can forge KubeSphere tokens.
   * @param value the secret, at least 8 characters
   */
  public static unsafePlainText(value: string): JwtSecret {
    if (typeof value !== 'string' || value.length < 8) {
      fail('JwtSecret.unsafePlainText', 'value', value ? `${String(value).length} characters` : value, 'a jwtSecret must be at least 8 characters', 'use a long random string, or better JwtSecret.fromEnv(...)');
    }
    return new JwtSecret(undefined, 'a plain-text value', value);
  }

  /** Human-readable description of where the secret comes from. */
  public readonly description: string;

  private constructor(
    /** @internal */ public readonly _source: EnvSource | FileSource | HostSecretSource | undefined,
    description: string,
    /** @internal */ public readonly _plainText?: string,
  ) {
    this.description = description;
  }

  /** Whether the host's own ClusterConfiguration leaves the secret to ks-installer. */
  public get fromHost(): boolean {
    return this._source?.type === 'host-secret';
  }

  /**
   * Whether two secrets are the same value (same source, or the same plain text).
   * @param other the other secret
   */
  public sameAs(other: JwtSecret): boolean {
    if (this._plainText !== undefined || other._plainText !== undefined) return this._plainText === other._plainText;
    return JSON.stringify(this._source) === JSON.stringify(other._source);
  }
}

/**
 * How `ksfed` obtains the kubeconfig the host's `Cluster` object carries for a directly connected member.
 *
 * The host's KubeSphere uses it to reach the member's kube-apiserver, so its server address must be reachable
 * from the host's nodes. It is never written to the synthesized output unless you choose `unsafeInline`.
 */
export class Kubeconfig {
  /**
   * A context of the kubeconfig `ksfed` runs with, reduced to that context's cluster and user.
   * @param context the context name; default: the member's context (its cluster name unless `--context` maps it)
   */
  public static fromContext(context?: string): Kubeconfig {
    if (context !== undefined && context.trim().length === 0) {
      fail('Kubeconfig.fromContext', 'context', context, 'it is empty', 'give a context name, or omit it to use the member\'s own context');
    }
    return new Kubeconfig({ type: 'context', ...(context ? { context } : {}) }, context ? `context ${context}` : 'the member\'s context');
  }

  /**
   * A kubeconfig file read by `ksfed` at apply time, reduced to one context.
   * @param path the file
   * @param context the context in it; default: its current-context
   */
  public static fromFile(path: string, context?: string): Kubeconfig {
    checkPath('Kubeconfig.fromFile', path);
    return new Kubeconfig({ type: 'file', path, ...(context ? { context } : {}) }, `file ${path}`);
  }

  /**
   * A whole kubeconfig (YAML, or base64 of it) in an environment variable read by `ksfed` at apply time, reduced
   * to one context.
   * @param name the environment variable
   * @param context the context in it; default: its current-context
   */
  public static fromEnv(name: string, context?: string): Kubeconfig {
    checkEnvName('Kubeconfig.fromEnv', name);
    return new Kubeconfig({ type: 'env', name, ...(context ? { context } : {}) }, `environment variable ${name}`);
  }

  /**
   * The kubeconfig text itself, base64-encoded into the output. Explicit opt-in: it holds cluster-admin
   * credentials of the member in plain sight.
   * @param kubeconfigYaml the kubeconfig, as YAML text
   */
  public static unsafeInline(kubeconfigYaml: string): Kubeconfig {
    if (typeof kubeconfigYaml !== 'string' || !/\bclusters\s*:/.test(kubeconfigYaml)) {
      fail('Kubeconfig.unsafeInline', 'kubeconfigYaml', kubeconfigYaml ? `${String(kubeconfigYaml).length} characters` : kubeconfigYaml,
        'it does not look like a kubeconfig (no "clusters:")', 'pass the text of a kubeconfig file, or use Kubeconfig.fromFile(path)');
    }
    return new Kubeconfig(undefined, 'an inline kubeconfig', kubeconfigYaml);
  }

  /** Human-readable description of where the kubeconfig comes from. */
  public readonly description: string;

  private constructor(
    /** @internal */ public readonly _source: EnvSource | FileSource | ContextSource | undefined,
    description: string,
    /** @internal */ public readonly _inline?: string,
  ) {
    this.description = description;
  }
}

/**
 * The token a proxy (agent) member presents to tower on the host.
 *
 * Tower generates one when the host's `Cluster` has none, but from a clock-seeded math/rand (facts §9), so the
 * default here is a strong token that `ksfed` generates once and then keeps reusing from the host's `Cluster`.
 */
export class AgentToken {
  /**
   * `ksfed` generates 32 random bytes (hex) the first time and reuses the token found on the host's `Cluster`
   * object afterwards. It is pre-set on the `Cluster` and handed to the agent through a Secret.
   */
  public static generated(): AgentToken {
    return new AgentToken('generated');
  }

  /**
   * Read by `ksfed` from an environment variable at apply time and pre-set on the `Cluster`.
   * @param name the environment variable that holds the token
   */
  public static fromEnv(name: string): AgentToken {
    checkEnvName('AgentToken.fromEnv', name);
    return new AgentToken('env', name);
  }

  /**
   * Leave it to tower: `ksfed` applies the host's `Cluster`, waits until tower writes a token into it and then
   * renders it into the agent's Secret (the upstream handshake).
   */
  public static fromTower(): AgentToken {
    return new AgentToken('tower');
  }

  private constructor(
    /** @internal */ public readonly _mode: 'generated' | 'env' | 'tower',
    /** @internal */ public readonly _envName?: string,
  ) {}
}
