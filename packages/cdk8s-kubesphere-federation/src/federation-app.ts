import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, AppProps, Chart, Yaml, YamlOutputType } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ApplyPhase, ClusterRegistration, ClusterRole, phaseOf } from './_output';
import { PlaceholderPlacements, PlaceholderSpec } from './_placeholders';
import { fail, problemMessage } from './_util';
import {
  APPLY_PHASES, FEDERATION_API_VERSION, FEDERATION_FILE, FEDERATION_GENERATOR, FEDERATION_KIND, FederationJson, FederationJsonCluster,
  FederationJsonObject, findPlaceholders, PlaceholderOccurrence, placeholderToken,
} from './contract/federation-json';
import { readinessOf } from './contract/kinds';
import { Versions } from './versions';

/** The extension of the object files unless `outputFileExtension` says otherwise. */
const DEFAULT_EXTENSION = '.yaml';
/** Extensions every reader of the folders takes: ksfed, `kubectl apply -f`, Argo CD (and its plugin), Flux. */
const YAML_EXTENSION = /^(\.[A-Za-z0-9_-]+)*\.ya?ml$/;

/**
 * Refuses the cdk8s output layouts a federation cannot use: federation.json lists one file per object in one folder
 * per cluster, and every reader of the folders expects YAML file names.
 */
function checkOutputLayout(props: AppProps): void {
  const layout = props.yamlOutputType;
  if (layout !== undefined && layout !== YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE) {
    fail('FederationApp', 'yamlOutputType', `YamlOutputType.${YamlOutputType[layout] ?? layout}`,
      'a FederationApp always writes one folder per cluster with one file per object in apply order, which federation.json lists and ksfed and the GitOps engines read',
      'remove yamlOutputType (the layout is YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE, with a folder per cluster)');
  }
  const extension = props.outputFileExtension;
  if (extension !== undefined && !YAML_EXTENSION.test(extension)) {
    fail('FederationApp', 'outputFileExtension', extension,
      'the object files hold YAML, and ksfed, kubectl apply -f and the GitOps engines (Argo CD\'s plugin takes *.yaml and *.yml) read YAML file names',
      `use an extension that starts with "." and ends in ".yaml" or ".yml", e.g. ".k8s.yaml", or leave it unset ("${DEFAULT_EXTENSION}")`);
  }
}

/** One synthesized object, in apply order. */
export interface SynthesizedObject {
  /** The file it is written to, relative to the cluster's folder. */
  readonly file: string;
  /** Its apply phase. */
  readonly phase: ApplyPhase;
  /** The construct path that produced it. */
  readonly constructPath: string;
  /** The Kubernetes object. */
  readonly manifest: any;
}

/** Props of a FederationApp. */
export interface FederationAppProps extends AppProps {
  /**
   * Print the federation's warnings (see `warnings()`) to stderr when `synth()` runs.
   * @default true
   */
  readonly printWarnings?: boolean;
}

/**
 * A cdk8s App for a KubeSphere federation.
 *
 * `synth()` writes one folder per cluster, named after the cluster, holding one file per object in apply order
 * (`0000-customresourcedefinition-....yaml`, ...), and `federation.json`, which tells `ksfed` the clusters, their
 * roles, connection types, default contexts, apply phases, the namespaces KubeFed places on each cluster
 * (`federatedNamespaces`) and the placeholders to fill at apply time.
 * Synthesizing again removes the folders of the previous synth first.
 *
 * Of cdk8s's `AppProps`, `outputFileExtension` names the object files (default `.yaml` here; it must end in `.yaml`
 * or `.yml`), and `yamlOutputType` is refused unless it is `FOLDER_PER_CHART_FILE_PER_RESOURCE`, the one layout
 * `ksfed` and the GitOps engines can apply.
 */
export class FederationApp extends App {
  /** The name of the file that tells `ksfed` about the synthesized federation. */
  public static readonly MANIFEST_FILE = FEDERATION_FILE;

  /**
   * The FederationApp a construct belongs to. Throws a clear error when the construct lives in a plain cdk8s App.
   * @param scope any construct of the federation
   */
  public static forScope(scope: IConstruct): FederationApp {
    const root = scope.node.root;
    if (!(root instanceof FederationApp)) {
      throw new Error(`[${scope.node.path}] must be created in a FederationApp, not a plain cdk8s App. Fix: create the app with \`new FederationApp({ outdir: 'dist' })\`, which writes one folder per cluster and federation.json`);
    }
    return root;
  }

  private readonly clusters: ClusterRegistration[] = [];
  private readonly placeholders = new Map<string, PlaceholderSpec>();
  /** What each multi-cluster project's FederatedNamespace places, read at synth (see `_registerFederatedNamespaces`). */
  private readonly federatedNamespaceSources: (() => { cluster: string; namespace: string }[])[] = [];
  private readonly placements = new PlaceholderPlacements();
  private readonly printWarnings: boolean;

  /**
   * Creates the app; `synth()` writes into `outdir` (default `dist`, or `$CDK8S_OUTDIR`).
   * @param props the cdk8s App props (`outdir`...) and `printWarnings`
   */
  constructor(props: FederationAppProps = {}) {
    super({ ...props, outputFileExtension: props.outputFileExtension ?? DEFAULT_EXTENSION });
    checkOutputLayout(props);
    this.resolvers.unshift(this.placements);
    this.printWarnings = props.printWarnings ?? true;
  }

  /**
   * Registers a cluster chart. Throws on a duplicate cluster name.
   * @internal
   */
  public _registerCluster(registration: ClusterRegistration): void {
    const existing = this.clusters.find(c => c.clusterName === registration.clusterName);
    if (existing) {
      throw new Error(`[${registration.chart.node.path}] name "${registration.clusterName}": cluster name already used by ${existing.role} ${existing.chart.node.path}. Fix: give every cluster of the federation its own name`);
    }
    this.clusters.push(registration);
  }

  /**
   * Registers where a project's FederatedNamespace places its namespace (read at synth, into federation.json's
   * `federatedNamespaces`, which ksfed's prune keeps).
   * @internal
   */
  public _registerFederatedNamespaces(source: () => { cluster: string; namespace: string }[]): void {
    this.federatedNamespaceSources.push(source);
  }

  /**
   * Registers a placeholder (idempotent for identical specs) and returns the string to write where it belongs:
   * it becomes the `{{ksfed:<id>}}` token in the output, and only there (see `_placedByLibrary`).
   * @internal
   */
  public _registerPlaceholder(spec: PlaceholderSpec): string {
    const existing = this.placeholders.get(spec.id);
    if (existing && JSON.stringify(existing) !== JSON.stringify(spec)) {
      throw new Error(`placeholder "${spec.id}" declared twice with different sources`);
    }
    this.placeholders.set(spec.id, spec);
    return this.placements.marker(spec.id);
  }

  /**
   * Whether this library wrote placeholder `id` at `pointer` of `apiObject` (every other one is hand-written).
   * @internal
   */
  public _placedByLibrary(apiObject: ApiObject, pointer: string, id: string): boolean {
    return this.placements.placedAt(apiObject.node.path, pointer, id);
  }

  /** The names of the clusters, host first, then members in creation order. */
  public get clusterNames(): string[] {
    return this.sortedClusters().map(c => c.clusterName);
  }

  /**
   * The objects of one cluster's folder, in apply order, exactly as `synth()` writes them.
   * Runs validation first. Useful to snapshot-test what one cluster gets.
   * @param clusterName the cluster name
   */
  public manifests(clusterName: string): any[] {
    this.validateTree();
    return this.objectsOf(this.registrationOf(clusterName)).map(o => o.manifest);
  }

  /**
   * The objects of one cluster's folder with their file names, phases and construct paths.
   * @param clusterName the cluster name
   */
  public synthesizedObjects(clusterName: string): SynthesizedObject[] {
    this.validateTree();
    return this.objectsOf(this.registrationOf(clusterName));
  }

  /**
   * The content of `federation.json`, as `synth()` writes it. Runs validation first.
   */
  public federationManifest(): any {
    this.validateTree();
    return this.buildManifest(new Map(this.sortedClusters().map(c => [c.clusterName, this.objectsOf(c)])));
  }

  /**
   * What is valid but likely to fail at apply time, one message per problem in the style of the validation
   * errors (`[path] prop value: problem. Fix: ...`). Runs validation first; `synth()` prints them to stderr.
   */
  public warnings(): string[] {
    return this.validateTree();
  }

  /**
   * Writes one folder per cluster and `federation.json` into the outdir, and prints the warnings to stderr
   * (unless `printWarnings` is false).
   */
  public synth(): void {
    const warnings = this.validateTree();
    if (this.printWarnings) for (const warning of warnings) process.stderr.write(`Warning: ${warning}\n`);
    const clusters = this.sortedClusters();
    const objects = new Map(clusters.map(c => [c.clusterName, this.objectsOf(c)]));
    const manifest = this.buildManifest(objects);

    fs.mkdirSync(this.outdir, { recursive: true });
    this.removePreviousOutput(clusters.map(c => c.clusterName));
    for (const cluster of clusters) {
      const folder = path.join(this.outdir, cluster.clusterName);
      fs.mkdirSync(folder, { recursive: true });
      for (const object of objects.get(cluster.clusterName) ?? []) {
        fs.writeFileSync(path.join(folder, object.file), Yaml.stringify(object.manifest));
      }
    }
    fs.writeFileSync(path.join(this.outdir, FEDERATION_FILE), JSON.stringify(manifest, undefined, 2) + '\n');
  }

  private registrationOf(clusterName: string): ClusterRegistration {
    const found = this.clusters.find(c => c.clusterName === clusterName);
    if (!found) {
      throw new Error(`no cluster named "${clusterName}" in this federation. Known clusters: ${this.clusterNames.join(', ') || '(none)'}`);
    }
    return found;
  }

  private sortedClusters(): ClusterRegistration[] {
    return [...this.clusters.filter(c => c.role === ClusterRole.HOST), ...this.clusters.filter(c => c.role !== ClusterRole.HOST)];
  }

  /**
   * Runs every construct's validations, like cdk8s's App.synth, and throws one error listing them all.
   * Returns the warnings of the constructs that report some.
   */
  private validateTree(): string[] {
    if (!this.clusters.some(c => c.role === ClusterRole.HOST)) {
      throw new Error('[FederationApp] the federation has no Host. Fix: add `new Host(app, \'host\', { name: \'host\' })` before synthesizing');
    }
    // Constructs whose output depends on what users add after construction (federated apps) produce it now, once.
    for (const construct of this.node.findAll()) {
      const prepare = (construct as any)._prepareFederation;
      if (typeof prepare === 'function') prepare.call(construct);
    }
    const errors: string[] = [];
    for (const construct of this.node.findAll()) {
      for (const message of construct.node.validate()) {
        errors.push(message.startsWith('[') ? message : `[${construct.node.path}] ${message}`);
      }
    }
    if (errors.length > 0) {
      throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
    }
    return this.node.findAll().flatMap(construct => {
      const warnings = (construct as any)._federationWarnings;
      return typeof warnings === 'function' ? warnings.call(construct) as string[] : [];
    });
  }

  private objectsOf(cluster: ClusterRegistration): SynthesizedObject[] {
    const apiObjects = cluster.chart.node.findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === cluster.chart);
    const entries = apiObjects.map((apiObject, index) => {
      const manifest = apiObject.toJson();
      this.refuseHandWrittenPlaceholders(cluster.clusterName, apiObject, manifest);
      return { index, manifest, phase: phaseOf(manifest.apiVersion, manifest.kind), constructPath: apiObject.node.path };
    });
    entries.sort((a, b) => APPLY_PHASES.indexOf(a.phase) - APPLY_PHASES.indexOf(b.phase) || a.index - b.index);
    const seen = new Map<string, string>();
    return entries.map((entry, position) => {
      const { apiVersion, kind, metadata } = entry.manifest;
      const identity = `${apiVersion.split('/').length > 1 ? apiVersion.split('/')[0] : 'core'}/${kind}/${metadata.namespace ?? ''}/${metadata.name}`;
      const clash = seen.get(identity);
      if (clash) {
        throw new Error(`[${entry.constructPath}] ${kind} "${metadata.namespace ? metadata.namespace + '/' : ''}${metadata.name}" is emitted twice into cluster "${cluster.clusterName}" (also by ${clash}). Fix: give one of them another name or remove it`);
      }
      seen.set(identity, entry.constructPath);
      const base = [kind, metadata.namespace, metadata.name].filter(s => s).join('-').toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
      return {
        file: `${String(position).padStart(4, '0')}-${base}${this.outputFileExtension}`,
        phase: entry.phase,
        constructPath: entry.constructPath,
        manifest: entry.manifest,
      };
    });
  }

  /**
   * Throws on a placeholder token this library did not write there (any id, known ones included): `ksfed` would
   * fill it with a credential or an apply-time value, in a place nobody meant it to go.
   */
  private refuseHandWrittenPlaceholders(cluster: string, apiObject: ApiObject, manifest: any): void {
    findPlaceholders(manifest, (id, pointer, value) => {
      if (this._placedByLibrary(apiObject, pointer, id)) return;
      const spec = this.placeholders.get(id);
      const what = spec ? `${spec.secret ? 'a credential: ' : ''}${spec.description}` : 'an id this federation does not declare';
      throw new Error(problemMessage(apiObject, pointer, value.length > 120 ? `${value.slice(0, 117)}...` : value,
        `${manifest.kind} "${manifest.metadata?.namespace ? `${manifest.metadata.namespace}/` : ''}${manifest.metadata?.name}" in cluster "${cluster}" holds the placeholder ${placeholderToken(id)} (${what}), which this library did not write there; ksfed apply would fill it in`,
        'remove the "{{ksfed:...}}" string; only JwtSecret, Kubeconfig, AgentToken, the tower address and the webhook certificate place them, where they belong. To give a workload a credential, reference a Secret you manage (env valueFrom.secretKeyRef)'));
    });
  }

  private buildManifest(objects: Map<string, SynthesizedObject[]>): FederationJson {
    const used = new Map<string, PlaceholderOccurrence[]>();
    for (const [cluster, list] of objects) {
      for (const object of list) {
        findPlaceholders(object.manifest, (id, pointer) => {
          const list2 = used.get(id) ?? [];
          list2.push({ cluster, file: `${cluster}/${object.file}`, pointer });
          used.set(id, list2);
        });
      }
    }
    const host = this.clusters.find(c => c.role === ClusterRole.HOST)!;
    // Namespaces KubeFed places through a project's FederatedNamespace, per cluster: ksfed's prune keeps them.
    const federatedNamespaces = new Map<string, Set<string>>();
    for (const source of this.federatedNamespaceSources) {
      for (const { cluster, namespace } of source()) {
        federatedNamespaces.set(cluster, (federatedNamespaces.get(cluster) ?? new Set<string>()).add(namespace));
      }
    }
    const clusterEntries = this.sortedClusters().map((c): FederationJsonCluster => {
      const list = objects.get(c.clusterName) ?? [];
      const requires = new Set<string>();
      for (const [id, occurrences] of used) {
        if (!occurrences.some(o => o.cluster === c.clusterName)) continue;
        for (const other of this.placeholders.get(id)?.requires ?? []) if (other !== c.clusterName) requires.add(other);
      }
      return {
        name: c.clusterName,
        role: c.role,
        folder: c.clusterName,
        context: c.context,
        ...(c.connection ? { connection: c.connection } : {}),
        dependsOn: [...requires].sort(),
        ...c.details(),
        constructPath: c.chart.node.path,
        phases: APPLY_PHASES.filter(p => list.some(o => o.phase === p)),
        ...(federatedNamespaces.has(c.clusterName) ? { federatedNamespaces: [...federatedNamespaces.get(c.clusterName)!].sort() } : {}),
        objects: list.map(o => ({
          file: o.file,
          phase: o.phase,
          apiVersion: o.manifest.apiVersion,
          kind: o.manifest.kind,
          ...(o.manifest.metadata.namespace ? { namespace: o.manifest.metadata.namespace } : {}),
          name: o.manifest.metadata.name,
          ...waitFor(o.manifest),
          constructPath: o.constructPath,
        })),
      };
    });
    const placeholders = [...used.keys()].sort().map(id => {
      const spec = this.placeholders.get(id)!;
      return { ...spec, occurrences: used.get(id)! };
    });
    return {
      apiVersion: FEDERATION_API_VERSION,
      kind: FEDERATION_KIND,
      generator: FEDERATION_GENERATOR,
      kubesphereVersion: Versions.KUBESPHERE,
      host: host.clusterName,
      phases: [...APPLY_PHASES],
      clusters: clusterEntries,
      placeholders,
    };
  }

  /** Removes the cluster folders of the previous synth (and of this one) so no stale file survives. */
  private removePreviousOutput(current: string[]): void {
    const previous = new Set(current);
    const manifestFile = path.join(this.outdir, FEDERATION_FILE);
    if (fs.existsSync(manifestFile)) {
      try {
        const old = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
        for (const c of old.clusters ?? []) if (typeof c.folder === 'string') previous.add(c.folder);
      } catch {
        // an unreadable federation.json is replaced below
      }
    }
    for (const folder of previous) {
      if (folder.includes('/') || folder.includes('\\') || folder.startsWith('.')) continue;
      fs.rmSync(path.join(this.outdir, folder), { recursive: true, force: true });
    }
  }
}

/** federation.json's `waitFor` of an object: what ksfed waits for once it is applied (from the table of kinds). */
function waitFor(manifest: any): Pick<FederationJsonObject, 'waitFor'> {
  const rule = readinessOf(manifest.apiVersion, manifest.kind);
  return rule ? { waitFor: rule } : {};
}
