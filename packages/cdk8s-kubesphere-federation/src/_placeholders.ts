import { IResolver, ResolutionContext } from 'cdk8s';
import {
  FederationJsonPlaceholder, PLACEHOLDER_ID_SYNTAX, PLACEHOLDER_TOKEN_PREFIX, PLACEHOLDER_TOKEN_SUFFIX, placeholderToken, pointerOf,
} from './contract/federation-json';

/**
 * Apply-time placeholders: strings written into manifests where a credential or a value only known at apply
 * time belongs. `ksfed` finds them through `federation.json` and fills them in memory, never on disk.
 */

/** One placeholder, as declared by a construct: federation.json's entry without its occurrences. */
export type PlaceholderSpec = Omit<FederationJsonPlaceholder, 'occurrences'>;

/**
 * What the library writes where a placeholder belongs, until rendering swaps it for the token: the token with a NUL
 * character after its `{{` (`{{\u0000ksfed:<id>}}`), which no user writes and no token pattern matches.
 */
const MARKER_PREFIX = `{{\u0000${PLACEHOLDER_TOKEN_PREFIX.slice(2)}`;
const MARKER_PATTERN = new RegExp(`\\{\\{\u0000${PLACEHOLDER_TOKEN_PREFIX.slice(2)}(${PLACEHOLDER_ID_SYNTAX})\\}\\}`, 'g');

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
    return `${MARKER_PREFIX}${id}${PLACEHOLDER_TOKEN_SUFFIX}`;
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
