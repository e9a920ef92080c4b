import { BUILTIN_KINDS } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import { GroupResource } from './errors';
import { JsonObject } from './json';

/** A kind the sandbox serves at one group/version. */
export interface ResourceType extends GroupResource {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: string[];
  readonly categories: string[];
  /** Whether `/status` is a subresource (then writes to the main resource ignore `status`, and vice versa). */
  readonly statusSubresource: boolean;
  /** Whether `metadata.generation` is kept and bumped on changes outside metadata and status. */
  readonly generation: boolean;
  /** Name of the CustomResourceDefinition that defines this kind (custom resources only). */
  readonly crd?: string;
  /** The CRD version's `openAPIV3Schema` (custom resources only). */
  readonly schema?: JsonObject;
  /** The version objects are stored in, when the kind is served at several versions (custom resources). */
  readonly storageVersion?: string;
}

/** The verbs every sandbox resource supports. */
export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** `group/version`, or just `version` for the core group. */
export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Splits an apiVersion into group and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Storage key shared by every version of a resource: `group/plural`. */
export function storageKey(r: GroupResource): string {
  return `${r.group}/${r.plural}`;
}

/**
 * Orders Kubernetes versions the way the API server prefers them:
 * GA before beta before alpha, higher numbers first, then anything else alphabetically.
 */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const level = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [level, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
  return ra[3].localeCompare(rb[3]);
}

/** The built-in kinds of the sandbox (every kind of the table of kinds, src/contract/kinds.ts), in discovery order. */
export function builtinTypes(): ResourceType[] {
  return BUILTIN_KINDS.map((k) => ({
    group: k.group,
    version: k.version,
    kind: k.kind,
    plural: k.plural,
    singular: k.kind.toLowerCase(),
    listKind: `${k.kind}List`,
    namespaced: k.namespaced,
    shortNames: [...k.shortNames ?? []],
    categories: [...k.categories ?? []],
    statusSubresource: k.statusSubresource ?? false,
    generation: k.generation ?? false,
  }));
}

/** Order of the built-in groups in `/apis`: as the table first names them (CRD groups follow, alphabetically). */
const BUILTIN_GROUP_ORDER = [...new Set(BUILTIN_KINDS.map(k => k.group).filter(g => g !== ''))];

/** The set of kinds a sandbox cluster currently serves: the built-ins plus the established CRDs. */
export class ResourceTypes {
  private readonly types: ResourceType[] = [];

  constructor(initial: ResourceType[] = builtinTypes()) {
    this.types.push(...initial);
  }

  /** Every served type. */
  public all(): ResourceType[] {
    return [...this.types];
  }

  /** Types served at a group/version, in registration order. */
  public inGroupVersion(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.version === version);
  }

  /** The type for a plural resource name at a group/version. */
  public byResource(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  /** The type for a kind at an apiVersion. */
  public byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = parseApiVersion(apiVersion);
    return this.types.find((t) => t.group === group && t.version === version && t.kind === kind);
  }

  /** Any served version of a group/resource (for storage-level operations). */
  public anyVersion(group: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.plural === plural);
  }

  /** Whether the group/version is served at all. */
  public servesGroupVersion(group: string, version: string): boolean {
    return this.types.some((t) => t.group === group && t.version === version);
  }

  /** Served groups (core excluded) with their versions, preferred first. */
  public groups(): Array<{ name: string; versions: string[] }> {
    const byGroup = new Map<string, Set<string>>();
    for (const t of this.types) {
      if (!t.group) continue;
      if (!byGroup.has(t.group)) byGroup.set(t.group, new Set());
      byGroup.get(t.group)!.add(t.version);
    }
    const order = (g: string) => {
      const i = BUILTIN_GROUP_ORDER.indexOf(g);
      return i < 0 ? BUILTIN_GROUP_ORDER.length : i;
    };
    return [...byGroup.keys()]
      .sort((a, b) => order(a) - order(b) || a.localeCompare(b))
      .map((name) => ({ name, versions: [...byGroup.get(name)!].sort(compareKubeVersions) }));
  }

  /** Replaces every type a CRD defines (an empty list unregisters it). */
  public setCrdTypes(crdName: string, types: ResourceType[]): void {
    for (let i = this.types.length - 1; i >= 0; i--) {
      if (this.types[i].crd === crdName) this.types.splice(i, 1);
    }
    this.types.push(...types);
  }
}
