import { IResolver, ResolutionContext } from 'cdk8s';

/**
 * Apply-time placeholders: strings written into manifests where a credential or a value only known at apply
 * time belongs. `ksfed` finds them through `federation.json` and fills them in memory, never on disk.
 */

/** Where `ksfed` gets a placeholder's value. Plain JSON, written to federation.json as is. */
export interface PlaceholderSource {
  /** env | file | context | host-secret | generate | read-object | service-address | webhook-certificate */
  readonly type: string;
  readonly [key: string]: unknown;
}

/** One placeholder, as declared by a construct. */
export interface PlaceholderSpec {
  /** Unique id, e.g. `jwt-secret` or `kubeconfig/edge-1`. */
  readonly id: string;
  /** What the value is, e.g. `jwt-secret`, `kubeconfig`, `agent-token`, `proxy-address`. */
  readonly kind: string;
  /** One sentence for humans. */
  readonly description: string;
  /** How the value is written where the placeholder stands: as is, or base64-encoded. */
  readonly encoding: 'raw' | 'base64';
  /** Whether the value is a credential: never printed, never written to disk. */
  readonly secret: boolean;
  /** Where the value comes from. */
  readonly source: PlaceholderSource;
  /** Clusters whose state must be applied before this value can be resolved. */
  readonly requires?: string[];
}

const TOKEN_PREFIX = '{{ksfed:';
const TOKEN_SUFFIX = '}}';

/** The string that stands for placeholder `id` in a manifest. */
export function placeholderToken(id: string): string {
  return `${TOKEN_PREFIX}${id}${TOKEN_SUFFIX}`;
}

/** Matches every placeholder token in a string; group 1 is the id. */
export const PLACEHOLDER_PATTERN = /\{\{ksfed:([a-z0-9][a-z0-9./_-]*)\}\}/g;

/** Every placeholder id found in a string. */
export function placeholderIds(text: string): string[] {
  const ids: string[] = [];
  for (const match of text.matchAll(PLACEHOLDER_PATTERN)) ids.push(match[1]);
  return ids;
}

/** A place in a synthesized file where a placeholder stands. */
export interface PlaceholderOccurrence {
  readonly cluster: string;
  readonly file: string;
  /** JSON pointer inside the object. */
  readonly pointer: string;
}

/** The JSON pointer of a path of keys (`['data', 'a/b']` -> `/data/a~1b`). */
export function pointerOf(keys: readonly string[]): string {
  return keys.map(k => `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** What the library writes where a placeholder belongs, until rendering swaps it for the token (no user writes it). */
const MARKER_PREFIX = '{{\u0000ksfed:';
const MARKER_PATTERN = /\{\{\u0000ksfed:([a-z0-9][a-z0-9./_-]*)\}\}/g;

/**
 * Tells the placeholders this library writes from hand-written ones. The library writes a marker (`marker(id)`),
 * which no user program or manifest holds; while an object is rendered (a cdk8s resolver, so every `toJson()`),
 * the marker becomes the placeholder token and its place is remembered: the object's construct path, the JSON
 * pointer and the id. A token anywhere else was written by hand.
 */
export class PlaceholderPlacements implements IResolver {
  private readonly placed = new Set<string>();

  /** The string the library writes where placeholder `id` belongs. */
  public marker(id: string): string {
    return `${MARKER_PREFIX}${id}}}`;
  }

  /** Swaps markers for tokens and remembers where. */
  public resolve(context: ResolutionContext): void {
    const value = context.value;
    if (typeof value !== 'string' || !value.includes(MARKER_PREFIX)) return;
    const pointer = pointerOf(context.key);
    context.replaceValue(value.replace(MARKER_PATTERN, (_marker: string, id: string) => {
      this.placed.add(placeKey(context.obj.node.path, pointer, id));
      return placeholderToken(id);
    }));
  }

  /** Whether the library wrote placeholder `id` at `pointer` of the object at `constructPath`. */
  public placedAt(constructPath: string, pointer: string, id: string): boolean {
    return this.placed.has(placeKey(constructPath, pointer, id));
  }
}

function placeKey(constructPath: string, pointer: string, id: string): string {
  return `${constructPath}\u0000${pointer}\u0000${id}`;
}

/** Walks a JSON value and reports every placeholder token of its strings, with the JSON pointer and the string. */
export function findPlaceholders(value: unknown, visit: (id: string, pointer: string, text: string) => void, pointer = ''): void {
  if (typeof value === 'string') {
    for (const id of placeholderIds(value)) visit(id, pointer, value);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => findPlaceholders(item, visit, `${pointer}/${index}`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      findPlaceholders(item, visit, `${pointer}${pointerOf([key])}`);
    }
  }
}
