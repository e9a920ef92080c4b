import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import * as YAML from 'yaml';
import { UsageError } from './errors';

/**
 * Loads the kubeconfig `ksfed` runs with: `--kubeconfig`, else `$KUBECONFIG` (several files merged), else
 * `~/.kube/config`, else the in-cluster service account. Throws a UsageError when none can be read.
 */
export function loadKubeConfig(file?: string, env: { [key: string]: string | undefined } = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (file !== undefined) {
    if (!fs.existsSync(file)) throw new UsageError(`--kubeconfig ${file}: no such file`);
    try {
      kc.loadFromFile(file);
    } catch (e) {
      throw new UsageError(`--kubeconfig ${file}: not a readable kubeconfig (${firstLine(e)})`);
    }
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter(f => f);
    const missing = files.filter(f => !fs.existsSync(f));
    if (missing.length === files.length) throw new UsageError(`KUBECONFIG=${env.KUBECONFIG}: no such file`);
    try {
      kc.loadFromFile(files.filter(f => fs.existsSync(f))[0]);
      for (const f of files.filter(x => fs.existsSync(x)).slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more, true);
      }
    } catch (e) {
      throw new UsageError(`KUBECONFIG=${env.KUBECONFIG}: not a readable kubeconfig (${firstLine(e)})`);
    }
  } else {
    const home = env.HOME ?? os.homedir();
    const def = path.join(home, '.kube', 'config');
    if (fs.existsSync(def)) {
      try {
        kc.loadFromFile(def);
      } catch (e) {
        throw new UsageError(`${def}: not a readable kubeconfig (${firstLine(e)})`);
      }
    } else if (env.KUBERNETES_SERVICE_HOST && fs.existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
      kc.loadFromCluster();
    } else {
      throw new UsageError('no kubeconfig: pass --kubeconfig FILE or set KUBECONFIG (or run `ksfed sandbox` for local clusters)');
    }
  }
  if (kc.getContexts().length === 0) throw new UsageError('the kubeconfig has no contexts');
  return kc;
}

/**
 * The context of each cluster: `--context CLUSTER=CONTEXT` when given, else the context federation.json names
 * (the cluster's own name by default). Throws a UsageError naming the contexts the kubeconfig has when one is
 * missing.
 */
export function resolveContexts(
  kc: KubeConfig,
  clusters: { name: string; context: string }[],
  overrides: { [cluster: string]: string } = {},
): Map<string, string> {
  const out = new Map<string, string>();
  const available = kc.getContexts().map(c => c.name);
  for (const c of clusters) {
    const context = overrides[c.name] ?? c.context;
    if (!kc.getContextObject(context)) {
      const how = overrides[c.name] ? `--context ${c.name}=${context}` : `the default context of cluster "${c.name}"`;
      throw new UsageError(`no context "${context}" in the kubeconfig (${how}); it has: ${available.join(', ') || '(none)'}. Fix: pass --context ${c.name}=<context>`);
    }
    out.set(c.name, context);
  }
  return out;
}

/**
 * Refuses two clusters that would be one: the same kubeconfig context, or (with `kc`) contexts whose API servers are
 * the same once normalised (`normalizeServer`), with the same `tls-server-name` and `proxy-url`. Only pairs with a
 * cluster in `inRun` (the clusters the run talks to or hands a kubeconfig of) count: a run must not write one
 * cluster's folder to another cluster, nor read one cluster's state from another. A cluster outside the run whose
 * context the kubeconfig lacks is left out. Pass no `kc` when something else than the kubeconfig decides where
 * requests go (a client factory).
 */
export function checkDistinctClusters(
  clusters: { name: string; context: string }[],
  inRun: Set<string>,
  overrides: { [cluster: string]: string } = {},
  kc?: KubeConfig,
): void {
  const resolved = clusters
    .map(c => ({ name: c.name, context: overrides[c.name] ?? c.context }))
    .filter(c => !kc || kc.getContextObject(c.context));
  const how = (name: string) => overrides[name] !== undefined ? `--context ${name}=${overrides[name]}` : `the default context of "${name}"`;
  const serverOf = (context: string): { url: string; key: string } | undefined => {
    const cluster = kc?.getCluster(kc.getContextObject(context)?.cluster ?? '');
    if (!cluster?.server) return undefined;
    const url = normalizeServer(cluster.server);
    return { url, key: [url, cluster.tlsServerName ?? '', cluster.proxyUrl ?? ''].join(' ') };
  };
  for (let i = 0; i < resolved.length; i++) {
    for (let j = i + 1; j < resolved.length; j++) {
      const [a, b] = [resolved[i], resolved[j]];
      if (!inRun.has(a.name) && !inRun.has(b.name)) continue;
      // (the fix names the cluster whose context was given on the command line, else the later one)
      const fix = overrides[a.name] !== undefined && overrides[b.name] === undefined ? a.name : b.name;
      if (a.context === b.context) {
        throw new UsageError(`clusters "${a.name}" and "${b.name}" both resolve to kubeconfig context "${a.context}" (${how(a.name)}, ${how(b.name)}); ksfed would apply both folders to one cluster. Fix: pass --context ${fix}=<the context of ${fix}>`);
      }
      const [sa, sb] = [serverOf(a.context), serverOf(b.context)];
      if (sa && sb && sa.key === sb.key) {
        throw new UsageError(`clusters "${a.name}" (context ${a.context}) and "${b.name}" (context ${b.context}) both point to the API server ${sa.url}; ksfed would apply both folders to one cluster. Fix: pass --context ${fix}=<a context of ${fix}'s own API server>, or correct the kubeconfig`);
      }
    }
  }
}

/**
 * An API server URL in one spelling, to compare servers: scheme and host in lower case, no default port (443 for
 * https, 80 for http), no trailing slash; a URL without a scheme is https (as kubectl reads it).
 */
export function normalizeServer(server: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`;
  try {
    const url = new URL(withScheme);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return server.trim().toLowerCase().replace(/\/+$/, '');
  }
}

/** Every credential the kubeconfig holds for the given contexts (to redact them from any output). */
export function credentialsOf(kc: KubeConfig, contexts: string[]): string[] {
  const out: string[] = [];
  for (const name of contexts) {
    const ctx = kc.getContextObject(name);
    const user = ctx ? kc.getUser(ctx.user) : null;
    if (!user) continue;
    for (const v of [user.token, user.password, user.keyData, user.certData]) if (v) out.push(v);
  }
  return out;
}

/**
 * One context of `kc` as a standalone kubeconfig (YAML) with one cluster, one user and one context, every file
 * reference inlined (`certificate-authority-data`, `client-certificate-data`, `client-key-data`, `token`), so the
 * host's KubeSphere can use it. Credential plugins (exec, auth-provider) cannot travel and are refused.
 */
export function reduceKubeconfig(kc: KubeConfig, contextName: string, where: string): string {
  const ctx = kc.getContextObject(contextName);
  if (!ctx) throw new UsageError(`${where}: no context "${contextName}" in the kubeconfig`);
  const cluster = kc.getCluster(ctx.cluster);
  const user = kc.getUser(ctx.user);
  if (!cluster) throw new UsageError(`${where}: context "${contextName}" names cluster "${ctx.cluster}", which the kubeconfig does not have`);
  if (!user) throw new UsageError(`${where}: context "${contextName}" names user "${ctx.user}", which the kubeconfig does not have`);
  const clusterEntry: { [key: string]: unknown } = { server: cluster.server };
  const ca = cluster.caData ?? (cluster.caFile ? readBase64(cluster.caFile, where) : undefined);
  if (ca) clusterEntry['certificate-authority-data'] = ca;
  if (cluster.skipTLSVerify) clusterEntry['insecure-skip-tls-verify'] = true;
  if (cluster.tlsServerName) clusterEntry['tls-server-name'] = cluster.tlsServerName;
  if (cluster.proxyUrl) clusterEntry['proxy-url'] = cluster.proxyUrl;

  const userEntry: { [key: string]: unknown } = {};
  const tokenFile = user.authProvider?.name === 'tokenFile' ? user.authProvider?.config?.tokenFile : undefined;
  if (user.exec || (user.authProvider && !tokenFile)) {
    throw new UsageError(`${where}: context "${contextName}" authenticates through a credential plugin (${user.exec ? 'exec' : 'auth-provider'}), which the host cannot run. Fix: use a context with a token or a client certificate, e.g. Kubeconfig.fromFile(...)`);
  }
  const token = user.token ?? (tokenFile ? readText(tokenFile, where).trim() : undefined);
  if (token) userEntry.token = token;
  const cert = user.certData ?? (user.certFile ? readBase64(user.certFile, where) : undefined);
  const key = user.keyData ?? (user.keyFile ? readBase64(user.keyFile, where) : undefined);
  if (cert) userEntry['client-certificate-data'] = cert;
  if (key) userEntry['client-key-data'] = key;
  if (user.username) userEntry.username = user.username;
  if (user.password) userEntry.password = user.password;
  if (Object.keys(userEntry).length === 0) {
    throw new UsageError(`${where}: context "${contextName}" has no credentials (token, client certificate or basic auth) to give the host`);
  }
  // YAML 1.1 quoting, as kube-apiserver's and kubectl's YAML readers expect ("on", "yes" stay strings).
  return YAML.stringify({
    'apiVersion': 'v1',
    'kind': 'Config',
    'clusters': [{ name: cluster.name, cluster: clusterEntry }],
    'users': [{ name: user.name, user: userEntry }],
    'contexts': [{ name: contextName, context: { cluster: cluster.name, user: user.name, ...(ctx.namespace ? { namespace: ctx.namespace } : {}) } }],
    'current-context': contextName,
  }, { keepUndefined: true, lineWidth: 0, version: '1.1' });
}

function readBase64(file: string, where: string): string {
  try {
    return fs.readFileSync(file).toString('base64');
  } catch {
    throw new UsageError(`${where}: cannot read ${file}, which the kubeconfig refers to`);
  }
}

function readText(file: string, where: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${where}: cannot read ${file}, which the kubeconfig refers to`);
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
