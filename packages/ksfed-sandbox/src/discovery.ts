import { createHash } from 'crypto';
import { JsonObject } from './json';
import { groupVersion, ResourceType, ResourceTypes, VERBS } from './resource-types';

/** The Kubernetes version the sandbox reports (the newest minor KubeSphere v3.4 supports). */
export const KUBERNETES_VERSION = {
  major: '1',
  minor: '26',
  gitVersion: 'v1.26.15',
  gitCommit: 'ksfed-sandbox',
  gitTreeState: 'clean',
  buildDate: '2024-03-14T00:00:00Z',
  goVersion: 'go1.21.8',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/**
 * `GET /version`: the sandbox's build fields with `gitVersion` (default v1.26.15) and the `major` and `minor` it
 * gives.
 */
export function versionInfo(gitVersion: string = KUBERNETES_VERSION.gitVersion): JsonObject {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return { ...KUBERNETES_VERSION, gitVersion, major: m ? m[1] : '', minor: m ? m[2] : '' };
}

/** `GET /api`: the legacy core group's versions. */
export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `GET /apis`: every named group with its versions (plain `APIGroupList`, never the aggregated form). */
export function apiGroupList(types: ResourceTypes): JsonObject {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: types.groups().map((g) => apiGroupOf(g.name, g.versions)) };
}

/** `GET /apis/<group>`, or undefined when the group is not served. */
export function apiGroup(types: ResourceTypes, name: string): JsonObject | undefined {
  const g = types.groups().find((x) => x.name === name);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupOf(g.name, g.versions) } : undefined;
}

function apiGroupOf(name: string, versions: string[]): JsonObject {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

/** `GET /api/v1` or `/apis/<group>/<version>`: the `APIResourceList`, main resources before their subresources. */
export function apiResourceList(types: ResourceTypes, group: string, version: string): JsonObject | undefined {
  const served = types.inGroupVersion(group, version);
  if (served.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const t of served) {
    const r: JsonObject = {
      name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.crd ? [...CRD_VERBS] : [...VERBS],
    };
    if (t.shortNames.length > 0) r.shortNames = [...t.shortNames];
    if (t.categories.length > 0) r.categories = [...t.categories];
    r.storageVersionHash = storageVersionHash(t);
    resources.push(r);
    if (t.statusSubresource) {
      resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

/** The verbs of a custom resource, in the order the API server lists them. */
const CRD_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

/** The API server's hash: the first 8 bytes of sha256(`group/version/kind`), base64. */
function storageVersionHash(t: ResourceType): string {
  return createHash('sha256').update(`${t.group}/${t.storageVersion ?? t.version}/${t.kind}`).digest().subarray(0, 8).toString('base64');
}
