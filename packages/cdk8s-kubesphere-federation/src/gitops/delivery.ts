import { ApiObject, Chart, IResolver, ResolutionContext } from 'cdk8s';
import { Construct } from 'constructs';
import { phaseOf } from '../_output';
import { fail, problemMessage } from '../_util';
import { ClusterChart } from '../cluster-chart';
import { APPLY_PHASES, mayHoldPlaceholder, PLACEHOLDER_PATTERN, pointerOf } from '../contract/federation-json';
import { FederationApp } from '../federation-app';
import { Host } from '../host';
import { Member } from '../member';
import { ARGO_SYNC_WAVE, checkObjectName, DeliveredCluster, DeliveryContext } from './_context';
import { buildArgoCd } from './argocd';
import { describePlaceholder, GitOpsCredentials, GitOpsCredentialsMode, secretKeyOf } from './credentials';
import { GitOpsEngine, GitOpsEngineKind } from './engine';
import { buildFlux, FluxTopology } from './flux';
import { GitRevision } from './revision';

const DELIVERY = Symbol.for('cdk8s-kubesphere-federation.GitOpsDelivery');
const SUBSTITUTE_DISABLED = 'kustomize.toolkit.fluxcd.io/substitute';

/** Props of a `GitOpsDelivery`. */
export interface GitOpsDeliveryProps {
  /** The engine that pulls the folders: `GitOpsEngine.argoCd()` or `GitOpsEngine.flux()`. */
  readonly engine: GitOpsEngine;
  /**
   * The Git repository the synthesized output is committed to: `https://...`, `ssh://git@host/org/repo.git`, or
   * (Argo CD only) `git@host:org/repo.git`. Never with credentials in it.
   */
  readonly repoUrl: string;
  /**
   * The branch, tag or commit the engine follows.
   * @default GitRevision.branch('main')
   */
  readonly revision?: GitRevision;
  /**
   * Where the FederationApp's outdir sits in the repository, relative to its root: the folder of cluster `c` is
   * `<pathPrefix>/<c>`. Use `''` when the outdir is the repository root.
   * @default 'dist'
   */
  readonly pathPrefix?: string;
  /**
   * The clusters whose folders the engine delivers. The others stay with `ksfed apply` (push).
   * @default - every cluster of the federation created before the delivery
   */
  readonly clusters?: string[];
  /**
   * The cluster the engine runs in, where its objects are written (Argo CD, and Flux in `FluxTopology.HUB`).
   * @default - the host
   */
  readonly managementCluster?: string;
  /**
   * Prefix of the generated object names: Applications and Kustomizations are named `<namePrefix><cluster>`.
   * @default 'ksfed-'
   */
  readonly namePrefix?: string;
  /**
   * Application (Argo CD) or Kustomization (Flux) names by cluster name, to override `<namePrefix><cluster>`.
   * @default - `<namePrefix><cluster>`
   */
  readonly applicationNames?: { [cluster: string]: string };
  /**
   * How the engine resolves the apply-time placeholders (credentials, agent tokens, the tower address, the webhook
   * certificate) of the delivered folders.
   * @default - none: synth fails if a delivered folder holds a placeholder, and says which
   */
  readonly credentials?: GitOpsCredentials;
  /**
   * Allow `JwtSecret.unsafePlainText` and `Kubeconfig.unsafeInline` in delivered folders, which then end up in
   * plain text in the Git repository.
   * @default false
   */
  readonly allowPlainTextCredentials?: boolean;
}

/** One key of the Secret (or secret path) that resolves the placeholders. */
export interface GitOpsSecretKey {
  /** The Secret key, which is also the variable name, e.g. `KSFED_JWT_SECRET`. */
  readonly key: string;
  /** The placeholder it resolves, e.g. `jwt-secret`. */
  readonly placeholder: string;
  /** How the value is written into the Secret: `raw`, or `base64` (the value's base64 text). */
  readonly encoding: string;
  /** Whether the value is a credential. */
  readonly secret: boolean;
  /** What the value is. */
  readonly description: string;
  /** The clusters whose folders use it. */
  readonly clusters: string[];
}

interface ObjectRecord {
  readonly cluster: string;
  readonly path: string;
  readonly kind: string;
  readonly name: string;
  readonly ids: Set<string>;
}

interface Scan {
  /** Placeholder id -> clusters. */
  readonly placeholders: Map<string, Set<string>>;
  /** Cluster -> sorted Secret keys. */
  readonly keys: Map<string, string[]>;
  readonly records: ObjectRecord[];
  /** `${...}` found in objects of clusters whose folders Flux substitutes. */
  readonly foreign: { cluster: string; path: string; kind: string; name: string; pointer: string; text: string }[];
}

const URL_CREDENTIALS = /^[a-z+]+:\/\/[^/@]*:[^/@]*@/i;
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)[^\s]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
const NAME_PREFIX = /^([a-z0-9][-a-z0-9]*)?$/;
/** A `${...}` Flux would substitute: not escaped as `$${...}`, not one of ours. */
const FOREIGN_VARIABLE = /(?<!\$)\$\{(?!KSFED_[A-Z0-9_]+\})[^}]*\}?/;

/**
 * Delivers the per-cluster folders of the federation through a GitOps engine instead of `ksfed apply`: Argo CD
 * (an ApplicationSet, or one Application per cluster) or Flux (a GitRepository and one Kustomization per cluster),
 * written into the management cluster's folder (the host by default) in apply order.
 *
 * Each delivered folder is synced to its cluster in our apply order: Argo CD sync waves follow the apply phases
 * (CRDs before custom resources) and members wait for the host; Flux members `dependsOn` the host's Kustomization.
 * Apply-time placeholders become references to values you manage outside Git (see `GitOpsCredentials`); synth
 * fails, naming them, when no route is given.
 */
export class GitOpsDelivery extends Construct {
  /**
   * Whether `x` is a GitOpsDelivery.
   * @param x any value
   */
  public static isGitOpsDelivery(x: any): x is GitOpsDelivery {
    return x !== null && typeof x === 'object' && DELIVERY in x;
  }

  /** The engine. */
  public readonly engine: GitOpsEngine;
  /** The repository URL. */
  public readonly repoUrl: string;
  /** The revision the engine follows. */
  public readonly revision: GitRevision;
  /** The outdir's path in the repository (`''` for the root). */
  public readonly pathPrefix: string;
  /** The cluster the engine's objects are written to. */
  public readonly managementCluster: string;
  /** The delivered clusters, host first. */
  public readonly clusterNames: string[];
  /** How placeholders are resolved, when set. */
  public readonly credentials?: GitOpsCredentials;
  /** The engine objects this delivery emits (Applications, ApplicationSet, GitRepository, Kustomizations...). */
  public readonly objects: ApiObject[];

  private readonly app: FederationApp;
  private readonly delivered: DeliveredCluster[];
  private readonly byChart = new Map<Chart, DeliveredCluster>();
  private readonly own = new Set<ApiObject>();
  private readonly explicitClusters: boolean;
  private readonly recorded = new Map<string, ObjectRecord>();
  private lastScan?: Scan;

  /**
   * Writes the GitOps engine's objects into the management cluster's folder.
   * @param scope the FederationApp
   * @param id the construct id
   * @param props the engine, the repository and the clusters it delivers
   */
  constructor(scope: Construct, id: string, props: GitOpsDeliveryProps) {
    super(scope, id);
    Object.defineProperty(this, DELIVERY, { value: true });
    const app = FederationApp.forScope(this);
    this.app = app;
    const other = app.node.findAll().find(c => GitOpsDelivery.isGitOpsDelivery(c) && c !== this);
    if (other) {
      fail(this, 'GitOpsDelivery', id, `this federation already has a GitOpsDelivery (${other.node.path}); both would rewrite the same folders`,
        'deliver every cluster with one GitOpsDelivery (use clusters to choose them), or put the second federation in its own FederationApp');
    }
    if (!(props.engine instanceof GitOpsEngine)) {
      fail(this, 'engine', String(props.engine), 'it is not a GitOpsEngine', 'use GitOpsEngine.argoCd({ ... }) or GitOpsEngine.flux({ ... })');
    }
    this.engine = props.engine;
    const isFlux = this.engine.kind === GitOpsEngineKind.FLUX;
    const perCluster = isFlux && this.engine._flux?.topology === FluxTopology.PER_CLUSTER;
    this.repoUrl = this.checkRepoUrl(props.repoUrl, isFlux);
    this.revision = props.revision ?? GitRevision.branch('main');
    this.pathPrefix = this.checkPathPrefix(props.pathPrefix ?? 'dist');
    const namePrefix = props.namePrefix ?? 'ksfed-';
    if (!NAME_PREFIX.test(namePrefix) || namePrefix.length > 40) {
      fail(this, 'namePrefix', namePrefix, 'it must be empty or start with a lowercase letter or digit, hold only lowercase letters, digits and \'-\', and be at most 40 characters', 'use a prefix like "ksfed-"');
    }
    this.credentials = props.credentials;
    if (this.credentials !== undefined && !(this.credentials instanceof GitOpsCredentials)) {
      fail(this, 'credentials', String(this.credentials), 'it is not a GitOpsCredentials', 'use GitOpsCredentials.fromSecret({ secretName }) or another GitOpsCredentials factory');
    }
    if (isFlux && this.credentials?.mode === GitOpsCredentialsMode.VAULT_PLUGIN) {
      fail(this, 'credentials', 'GitOpsCredentials.argoCdVaultPlugin', 'Flux has no config management plugins to run argocd-vault-plugin',
        `use GitOpsCredentials.fromSecret({ secretName: "ksfed-credentials" }) and fill that Secret from ${this.credentials.source} with External Secrets`);
    }

    // The clusters and their charts, host first.
    const charts = new Map<string, ClusterChart>();
    for (const c of app.node.findAll()) if (ClusterChart.isClusterChart(c)) charts.set(c.clusterName, c);
    const host = [...charts.values()].find(c => Host.isHost(c));
    if (!host) fail(this, 'GitOpsDelivery', id, 'the federation has no Host yet', 'create the Host and the Members before the GitOpsDelivery');
    const known = app.clusterNames;
    const unknown = (name: string) => !charts.has(name);
    const knownList = known.join(', ') || '(none)';
    this.explicitClusters = props.clusters !== undefined;
    const wanted = props.clusters ?? known;
    for (const name of wanted) {
      if (unknown(name)) {
        fail(this, 'clusters', name, `no cluster of this federation has that name (known: ${knownList})`,
          'check the name, and create the GitOpsDelivery after the Host and every Member it delivers');
      }
    }
    if (new Set(wanted).size !== wanted.length) {
      fail(this, 'clusters', wanted, 'a cluster is listed twice', 'list each cluster once');
    }
    if (wanted.length === 0) fail(this, 'clusters', wanted, 'no cluster to deliver', 'list at least one cluster, or omit clusters to deliver them all');
    if (perCluster && props.managementCluster !== undefined) {
      fail(this, 'managementCluster', props.managementCluster, 'with FluxTopology.PER_CLUSTER every cluster runs its own Flux and gets its own GitRepository and Kustomization',
        'drop managementCluster, or use FluxTopology.HUB');
    }
    this.managementCluster = props.managementCluster ?? host.clusterName;
    if (unknown(this.managementCluster)) {
      fail(this, 'managementCluster', this.managementCluster, `no cluster of this federation has that name (known: ${knownList})`, 'name the cluster Argo CD or Flux runs in, or omit it to use the host');
    }
    for (const [prop, map] of [
      ['applicationNames', props.applicationNames],
      ['engine destinations', this.engine._argoCd?.destinations],
      ['engine kubeConfigSecrets', this.engine._flux?.kubeConfigSecrets],
    ] as const) {
      for (const name of Object.keys(map ?? {})) {
        if (unknown(name)) {
          fail(this, `${prop}["${name}"]`, name, `no cluster of this federation has that name (known: ${knownList})`, 'use the cluster names of the Host and Members');
        }
        if (!wanted.includes(name)) {
          fail(this, `${prop}["${name}"]`, name, 'this cluster is not delivered by the GitOpsDelivery', `add it to clusters, or drop the entry (delivered: ${wanted.join(', ')})`);
        }
      }
    }

    const ordered = known.filter(n => wanted.includes(n));
    const hostDelivered = ordered.includes(host.clusterName);
    const names = new Map<string, string>();
    this.delivered = ordered.map(name => {
      const chart = charts.get(name)!;
      const appName = props.applicationNames?.[name] ?? `${namePrefix}${name}`;
      checkObjectName(this.node.path, props.applicationNames?.[name] !== undefined ? `applicationNames["${name}"]` : 'namePrefix', appName, `${namePrefix}${name}`.slice(0, 63).replace(/-+$/, ''));
      const clash = names.get(appName);
      if (clash) {
        fail(this, `applicationNames["${name}"]`, appName, `the ${isFlux ? 'Kustomization' : 'Application'} name is already used for cluster "${clash}"`,
          'give every delivered cluster its own application name');
      }
      names.set(appName, name);
      const isMember = Member.isMember(chart);
      const member = isMember ? chart : undefined;
      const cluster: DeliveredCluster = {
        name,
        chart,
        role: chart.role,
        connection: member?.connection.type,
        management: !perCluster && name === this.managementCluster,
        appName,
        path: this.pathPrefix ? `${this.pathPrefix}/${name}` : name,
        wave: isMember && hostDelivered ? 1 : 0,
        dependsOn: isMember && hostDelivered ? [host.clusterName] : [],
      };
      this.byChart.set(chart, cluster);
      return cluster;
    });
    this.clusterNames = this.delivered.map(c => c.name);
    this.checkCredentialSources(host, props.allowPlainTextCredentials ?? false);

    const context: DeliveryContext = {
      scope: this,
      management: charts.get(this.managementCluster)!,
      clusters: this.delivered,
      repoUrl: this.repoUrl,
      revision: this.revision,
      pathPrefix: this.pathPrefix,
      namePrefix,
      credentials: this.credentials,
      secretKeysOf: cluster => (this.lastScan ?? this.scan()).keys.get(cluster) ?? [],
      own: object => {
        this.own.add(object);
        return object;
      },
    };
    this.objects = isFlux ? buildFlux(context, this.engine._flux!) : buildArgoCd(context, this.engine._argoCd!);

    const resolver: IResolver = { resolve: ctx => this.resolveValue(ctx) };
    app.resolvers.unshift(resolver);
    this.node.addValidation({ validate: () => this.validateDelivery() });
  }

  /**
   * The repository path of a delivered cluster's folder, as the engine objects reference it.
   * @param cluster the cluster name
   */
  public pathOf(cluster: string): string {
    return this.deliveredCluster(cluster).path;
  }

  /**
   * The Argo CD Application or Flux Kustomization name of a delivered cluster.
   * @param cluster the cluster name
   */
  public applicationNameOf(cluster: string): string {
    return this.deliveredCluster(cluster).appName;
  }

  /**
   * The keys the Secret (or secret path) named by `credentials` must hold, one per placeholder of the delivered
   * folders, with what to put there and which clusters use it.
   */
  public secretKeys(): GitOpsSecretKey[] {
    const scan = this.scan();
    return [...scan.placeholders.entries()]
      .map(([id, clusters]) => {
        const about = describePlaceholder(id);
        return {
          key: secretKeyOf(id),
          placeholder: id,
          encoding: about.encoding,
          secret: about.secret,
          description: about.what,
          clusters: this.clusterNames.filter(c => clusters.has(c)),
        };
      })
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  private deliveredCluster(name: string): DeliveredCluster {
    const found = this.delivered.find(c => c.name === name);
    if (!found) throw new Error(`[${this.node.path}] no delivered cluster named "${name}" (delivered: ${this.clusterNames.join(', ')})`);
    return found;
  }

  private checkRepoUrl(url: string, isFlux: boolean): string {
    const example = 'https://git.example.com/platform/fleet.git';
    if (typeof url !== 'string' || url.trim() !== url || url.length === 0) {
      fail(this, 'repoUrl', url, 'it is empty or has surrounding spaces', `write it like "${example}"`);
    }
    if (URL_CREDENTIALS.test(url)) {
      fail(this, 'repoUrl', url.replace(/:\/\/[^/@]*@/, '://***@'), 'it holds credentials, which would be committed in plain text',
        isFlux ? 'drop them from the URL and name a Secret with gitSecretName' : 'drop them from the URL and register the repository\'s credentials in Argo CD (a repository Secret)');
    }
    if (SCP_LIKE.test(url)) {
      if (isFlux) {
        const [userHost, repoPath] = [url.slice(0, url.indexOf(':')), url.slice(url.indexOf(':') + 1)];
        fail(this, 'repoUrl', url, 'Flux does not accept scp-like Git addresses', `write it as an ssh:// URL: "ssh://${userHost}/${repoPath}"`);
      }
      return url;
    }
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    const ok = parsed !== undefined && ['http:', 'https:', 'ssh:'].includes(parsed.protocol) && parsed.hostname.length > 0 && parsed.pathname.replace(/\/+$/, '').length > 0;
    if (!ok) {
      fail(this, 'repoUrl', url, `it is not a Git repository URL (http, https or ssh${isFlux ? '' : ', or scp-like git@host:org/repo.git'}, with a repository path)`, `write it like "${example}"`);
    }
    return url;
  }

  private checkPathPrefix(prefix: string): string {
    if (typeof prefix !== 'string') fail(this, 'pathPrefix', prefix, 'it is not a string', 'give the outdir\'s path in the repository, e.g. "dist"');
    const normalized = prefix.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (normalized === '' || normalized === '.') return '';
    const segments = normalized.split('/');
    if (prefix.startsWith('/') || segments.some(s => s === '..' || s === '.' || !PATH_SEGMENT.test(s))) {
      fail(this, 'pathPrefix', prefix, 'it must be a relative path inside the repository, without "..", made of letters, digits, \'.\', \'_\' and \'-\'',
        'give the outdir\'s path from the repository root, e.g. "dist" or "clusters/prod/dist"');
    }
    return segments.join('/');
  }

  /** Plain-text credentials and tower-issued agent tokens cannot be delivered from Git. */
  private checkCredentialSources(host: Host, allowPlainText: boolean): void {
    const delivered = new Set(this.clusterNames);
    if (!allowPlainText && host.jwtSecret._plainText !== undefined) {
      fail(this, 'allowPlainTextCredentials', false, `the jwtSecret of ${host.node.path} is JwtSecret.unsafePlainText, so every delivered ClusterConfiguration would carry it in plain text in Git`,
        'use JwtSecret.fromHostCluster() or fromEnv(...) and credentials: GitOpsCredentials.fromSecret(...), or set allowPlainTextCredentials: true if the repository is as protected as the secret');
    }
    for (const chart of this.app.node.findAll()) {
      if (!Member.isMember(chart)) continue;
      const kubeconfig = chart.connection.kubeconfig;
      if (!allowPlainText && kubeconfig?._inline !== undefined && delivered.has(host.clusterName)) {
        fail(this, 'allowPlainTextCredentials', false, `the kubeconfig of ${chart.node.path} is Kubeconfig.unsafeInline, so the host's Cluster object would carry it in plain text in Git`,
          'use Kubeconfig.fromContext() (or fromFile/fromEnv) and credentials: GitOpsCredentials.fromSecret(...), or set allowPlainTextCredentials: true');
      }
      const token = chart.connection.token;
      const resolving = this.credentials !== undefined && this.credentials.mode !== GitOpsCredentialsMode.KEEP;
      if (token?._mode === 'tower' && resolving && delivered.has(chart.clusterName)) {
        fail(this, 'clusters', chart.clusterName, `member ${chart.node.path} uses AgentToken.fromTower(): tower writes the token into the host's Cluster at run time and only ksfed can hand it to the agent, which a GitOps engine cannot do`,
          'use Connection.agent({ token: AgentToken.generated() }) (the token then comes from your Secret and is pre-set on the Cluster), or leave this member to ksfed apply');
      }
    }
  }

  /** The resolver: rewrites placeholders of delivered objects and, for Argo CD, adds the sync wave of their phase. */
  private resolveValue(ctx: ResolutionContext): void {
    const object = ctx.obj;
    if (this.own.has(object)) return;
    const cluster = this.byChart.get(object.chart);
    if (!cluster) return;
    const value = ctx.value;
    if (typeof value === 'string') {
      if (!mayHoldPlaceholder(value)) return;
      const credentials = this.credentials;
      let changed = false;
      const pointer = pointerOf(ctx.key);
      const rewritten = value.replace(PLACEHOLDER_PATTERN, (token: string, id: string) => {
        // (a hand-written token stays as it is, and synth refuses it)
        if (!this.app._placedByLibrary(object, pointer, id)) return token;
        this.record(object, cluster.name, id);
        if (!credentials || credentials.mode === GitOpsCredentialsMode.KEEP) return token;
        changed = true;
        return credentials._render(id);
      });
      if (changed) ctx.replaceValue(rewritten);
      return;
    }
    if (this.engine.kind === GitOpsEngineKind.ARGO_CD && ctx.key.length === 1 && ctx.key[0] === 'metadata' && value !== null && typeof value === 'object' && value.constructor === Object) {
      const annotations = value.annotations ?? {};
      if (annotations[ARGO_SYNC_WAVE] !== undefined) return;
      const wave = APPLY_PHASES.indexOf(phaseOf(object.apiVersion, object.kind));
      ctx.replaceValue({ ...value, annotations: { ...annotations, [ARGO_SYNC_WAVE]: String(wave) } });
    }
  }

  private record(object: ApiObject, cluster: string, id: string): void {
    const path = object.node.path;
    let entry = this.recorded.get(path);
    if (!entry) {
      entry = { cluster, path, kind: object.kind, name: object.name, ids: new Set() };
      this.recorded.set(path, entry);
    }
    entry.ids.add(id);
  }

  /** Renders every delivered object once and collects their placeholders (and, for Flux, foreign `${...}`). */
  private scan(): Scan {
    this.recorded.clear();
    const substituting = this.engine.kind === GitOpsEngineKind.FLUX && this.credentials?.mode === GitOpsCredentialsMode.SECRET;
    const strings: { cluster: string; path: string; kind: string; name: string; pointer: string; text: string }[] = [];
    for (const cluster of this.delivered) {
      for (const node of cluster.chart.node.findAll()) {
        if (!(node instanceof ApiObject) || node.chart !== cluster.chart || this.own.has(node)) continue;
        const json = node.toJson();
        if (!substituting) continue;
        const metadata = json.metadata ?? {};
        if (metadata.annotations?.[SUBSTITUTE_DISABLED] === 'disabled' || metadata.labels?.[SUBSTITUTE_DISABLED] === 'disabled') continue;
        walkStrings(json, '', (text, pointer) => {
          const foreign = FOREIGN_VARIABLE.exec(text);
          if (!foreign) return;
          strings.push({ cluster: cluster.name, path: node.node.path, kind: json.kind, name: json.metadata?.name, pointer, text: foreign[0] });
        });
      }
    }
    const placeholders = new Map<string, Set<string>>();
    const keys = new Map<string, string[]>();
    for (const record of this.recorded.values()) {
      for (const id of record.ids) {
        const set = placeholders.get(id) ?? new Set<string>();
        set.add(record.cluster);
        placeholders.set(id, set);
        keys.set(record.cluster, [...new Set([...(keys.get(record.cluster) ?? []), secretKeyOf(id)])].sort());
      }
    }
    const scan: Scan = {
      placeholders: new Map([...placeholders.entries()].sort(([a], [b]) => a.localeCompare(b))),
      keys,
      records: [...this.recorded.values()],
      foreign: strings.filter(s => (keys.get(s.cluster) ?? []).length > 0),
    };
    this.lastScan = scan;
    return scan;
  }

  private validateDelivery(): string[] {
    const errors: string[] = [];
    const scan = this.scan();
    if (!this.explicitClusters) {
      const late = this.app.clusterNames.filter(n => !this.clusterNames.includes(n));
      if (late.length > 0) {
        errors.push(problemMessage(this, 'clusters', late, 'these clusters were created after the GitOpsDelivery, so no engine would deliver their folders',
          'create the GitOpsDelivery after the last Member, or list the clusters it delivers in clusters (the others stay with ksfed apply)'));
      }
    }
    if (this.credentials === undefined && scan.placeholders.size > 0) {
      const list = [...scan.placeholders.entries()].map(([id, clusters]) => `${id} (${this.clusterNames.filter(c => clusters.has(c)).join(', ')})`).join(', ');
      const keys = [...scan.placeholders.keys()].map(secretKeyOf).join(', ');
      errors.push(problemMessage(this, 'credentials', undefined,
        `the delivered folders hold apply-time placeholders that ksfed apply fills but a GitOps engine cannot: ${list}`,
        `keep the values in a Secret you manage (External Secrets, SOPS) and name it: credentials: GitOpsCredentials.fromSecret({ secretName: "ksfed-credentials" }) with the keys ${keys}`
        + `${this.engine.kind === GitOpsEngineKind.ARGO_CD ? ', or GitOpsCredentials.argoCdVaultPlugin({ path: "secret/data/ksfed" })' : ''}`
        + '; or remove the placeholders (WebhookCertificate.certManager, Host proxyPublishAddress); GitOpsCredentials.keepPlaceholders() opts out (see docs/push-to-pull.md)'));
    }
    for (const s of scan.foreign) {
      errors.push(problemMessage(s.path, 'manifest', s.text,
        `${s.kind} "${s.name}" in cluster "${s.cluster}" holds it at ${s.pointer || '/'}, and Flux's postBuild substitution (enabled for this folder) would replace it, with an empty string when no such variable exists`,
        `write it as $${s.text} (Flux prints \${...} for $\${...}), or label or annotate the object with ${SUBSTITUTE_DISABLED}: disabled`));
    }
    return errors;
  }
}

/** Calls `visit` with every string of a JSON value and its JSON pointer. */
function walkStrings(value: unknown, pointer: string, visit: (text: string, pointer: string) => void): void {
  if (typeof value === 'string') {
    if (value.includes('${')) visit(value, pointer);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => walkStrings(item, `${pointer}/${i}`, visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) walkStrings(item, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, visit);
  }
}
