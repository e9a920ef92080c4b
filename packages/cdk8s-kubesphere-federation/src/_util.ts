import { IConstruct } from 'constructs';

/**
 * Throws a validation error that names the construct path, the prop, the value and the fix.
 * @internal
 */
export function fail(scope: IConstruct | string, prop: string, value: unknown, problem: string, fix: string): never {
  throw new Error(problemMessage(scope, prop, value, problem, fix));
}

/**
 * Formats a validation problem: `[path] prop "value": problem. Fix: ...`.
 * @internal
 */
export function problemMessage(scope: IConstruct | string, prop: string, value: unknown, problem: string, fix: string): string {
  const path = typeof scope === 'string' ? scope : scope.node.path;
  return `[${path}] ${prop} ${showValue(value)}: ${problem}. Fix: ${fix}`;
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return '(unset)';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Why `name` is not a DNS-1123 label of at most `max` characters, or undefined.
 * @internal
 */
export function dnsLabelProblem(name: string, max = 63): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.length > max) return `it is ${name.length} characters long, more than ${max}`;
  if (!DNS_LABEL.test(name)) return 'it must be a DNS-1123 label: lowercase letters, digits and \'-\', starting and ending with a letter or digit';
  return undefined;
}

/**
 * Why `name` is not a DNS-1123 subdomain, or undefined.
 * @internal
 */
export function dnsSubdomainProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.length > 253) return `it is ${name.length} characters long, more than 253`;
  if (!DNS_SUBDOMAIN.test(name)) return 'it must be a DNS-1123 subdomain: lowercase letters, digits, \'-\' and \'.\'';
  return undefined;
}

/**
 * A suggestion for a DNS-1123 label of at most `max` characters derived from an invalid name (for error messages
 * only); it is itself a valid label within `max`.
 * @internal
 */
export function suggestDnsLabel(name: string, max = 63): string {
  const trim = (s: string) => s.slice(0, Math.max(max, 1)).replace(/^-+|-+$/g, '');
  const s = trim(String(name ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, ''));
  return s.length > 0 ? s : trim('my-cluster');
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Why `name` is not an environment variable name Kubernetes 1.27 accepts (apimachinery `IsEnvVarName`:
 * `[-._a-zA-Z][-._a-zA-Z0-9]*`, and not `.`, `..` or starting with `..`), or undefined.
 * @internal
 */
export function envVarNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (!ENV_VAR_NAME.test(name)) {
    return 'Kubernetes accepts environment variable names of letters, digits, \'_\', \'-\' and \'.\' that do not start with a digit';
  }
  if (name.startsWith('..') || name === '.') return 'Kubernetes refuses an environment variable name that is "." or starts with ".."';
  return undefined;
}

/**
 * Throws unless every name is an environment variable name Kubernetes accepts.
 * @internal
 */
export function checkEnvVarNames(scope: IConstruct, prop: string, names: string[]): void {
  for (const name of names) {
    const problem = envVarNameProblem(name);
    if (problem) fail(scope, prop, name, problem, 'use letters, digits, \'_\', \'-\' and \'.\', not starting with a digit or "..", e.g. "LOG_LEVEL"');
  }
}

const REGISTRY_HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[a-fA-F0-9:]+\\])';
const REGISTRY_PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
/** An image reference's domain and optional path (distribution/reference grammar): `host[:port][/path]`. */
const IMAGE_REGISTRY = new RegExp(`^${REGISTRY_HOST}(?::[0-9]+)?(?:/${REGISTRY_PATH_COMPONENT})*$`);
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

/**
 * Throws unless `registry` is an image registry prefix `host[:port][/path]` as the container image reference
 * grammar (distribution/reference) allows it: no scheme, no trailing `/`, no spaces, no tag; the host may hold
 * upper case, the path may not.
 * @internal
 */
export function checkImageRegistry(scope: IConstruct, prop: string, registry: string | undefined): void {
  if (registry === undefined || (typeof registry === 'string' && IMAGE_REGISTRY.test(registry))) return;
  const text = String(registry);
  if (text.length === 0) fail(scope, prop, registry, 'it is empty', `omit ${prop} to pull from Docker Hub, or give a registry like "registry.example.com:5000"`);
  const cleaned = text.replace(/\s+/g, '').replace(SCHEME, '').replace(/\/+$/, '');
  const valid = [cleaned, cleaned.toLowerCase()].find(c => IMAGE_REGISTRY.test(c));
  const then = valid ? `: "${valid}"` : ', e.g. "registry.example.com:5000/mirror"';
  const pulled = 'images are pulled as <registry>/kubesphere/tower:v0.2.1';
  if (SCHEME.test(text.trim())) fail(scope, prop, registry, `an image registry has no scheme (${pulled})`, `drop the scheme${then}`);
  if (/\s/.test(text)) fail(scope, prop, registry, 'it holds spaces', `remove them${then}`);
  if (text.endsWith('/')) fail(scope, prop, registry, `it ends with "/" (${pulled})`, `drop the trailing "/"${then}`);
  fail(scope, prop, registry, 'it is not an image registry host[:port][/path] (host: letters, digits, \'-\' and \'.\'; path: lowercase letters and digits, with \'.\', \'_\' or \'-\' between them)',
    `write host[:port][/path]${then}`);
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/**
 * Why `value` is not a valid label value, or undefined.
 * @internal
 */
export function labelValueProblem(value: string): string | undefined {
  if (typeof value !== 'string') return 'it must be a string';
  if (value.length > 63) return `it is ${value.length} characters long, more than 63`;
  if (!LABEL_VALUE.test(value)) return 'a label value may hold letters, digits, \'-\', \'_\' and \'.\', and must start and end with a letter or digit';
  return undefined;
}

/**
 * Why `key` is not a valid label key (`[prefix/]name`), or undefined.
 * @internal
 */
export function labelKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'it is empty';
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && dnsSubdomainProblem(prefix)) return `its prefix "${prefix}" must be a DNS-1123 subdomain`;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return 'its name part must be 1-63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit';
  }
  return undefined;
}

/**
 * Validates a map of labels and throws with the construct path and prop.
 * @internal
 */
export function checkLabels(scope: IConstruct, prop: string, labels: { [key: string]: string } | undefined): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) fail(scope, `${prop} key`, key, keyProblem, 'use a key such as "example.com/tier" or "tier"');
    const valueProblem = labelValueProblem(value);
    if (valueProblem) fail(scope, `${prop}["${key}"]`, value, valueProblem, 'use a value such as "gold" (empty is allowed)');
  }
}

export { parseQuantity } from './contract/quantity';

/**
 * Formats millicores for messages: 1500 -> "1500m", rounded up to whole millicores.
 * @internal
 */
export function formatMillicores(millis: number): string {
  return `${Math.ceil(millis - 1e-9)}m`;
}

/**
 * Formats bytes for messages in Mi, rounded up: 268435456 -> "256Mi".
 * @internal
 */
export function formatMebibytes(bytes: number): string {
  const mi = bytes / 2 ** 20;
  return `${Number.isInteger(mi) ? mi : Math.ceil(mi * 10) / 10}Mi`;
}

/**
 * Deep copy of plain JSON data.
 * @internal
 */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/**
 * A copy of a map with its keys in sorted order. cdk8s sorts the keys of every manifest, but federation.json and
 * the lists the library makes from maps keep the order the keys arrive in, which differs by language: Python hands
 * a dict over in insertion order, Java a Map in its own order (none at all for `Map.of`), Go in random order.
 */
export function sortedKeys<T>(map: { [key: string]: T }): { [key: string]: T };
export function sortedKeys<T>(map: { [key: string]: T } | undefined): { [key: string]: T } | undefined;
export function sortedKeys<T>(map: { [key: string]: T } | undefined): { [key: string]: T } | undefined {
  if (map === undefined) return undefined;
  return Object.fromEntries(Object.keys(map).sort().map(key => [key, map[key]]));
}
