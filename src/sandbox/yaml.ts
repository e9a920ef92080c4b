import * as path from 'path';

interface YamlModule {
  parse(text: string, options?: { uniqueKeys?: (a: any, b: any) => boolean }): unknown;
  stringify(value: unknown): string;
}

let cached: YamlModule | null | undefined;

/**
 * The `yaml` package if it can be found: top level first, then the copy cdk8s (a peer dependency) bundles.
 * Returns undefined when neither is installed; callers then fall back to JSON, which is valid YAML.
 */
function yamlModule(): YamlModule | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  const attempts: Array<() => string> = [
    () => require.resolve('yaml'),
    () => require.resolve('yaml', { paths: [path.dirname(require.resolve('cdk8s'))] }),
  ];
  for (const attempt of attempts) {
    try {
      // A lazy require: `yaml` is optional at run time (see above).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = require(attempt()) as YamlModule;
      break;
    } catch {
      // try the next location
    }
  }
  return cached ?? undefined;
}

/** Parses a request body that is JSON or YAML (JSON first: that is what kubectl and client-node send). */
export function parseJsonOrYaml(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      // YAML flow style also starts with a brace: fall through.
    }
  }
  const yaml = yamlModule();
  if (!yaml) throw new Error('YAML bodies need the "yaml" package; send JSON instead');
  return yaml.parse(text);
}

/** A key a YAML mapping sets twice: its line (of the repetition) and the key. */
export interface YamlDuplicate {
  readonly line: number;
  readonly key: string;
}

/**
 * Parses an apply body (JSON or YAML) the way the API server's YAML decoder does: a key a YAML mapping repeats is
 * reported (with the line of the repetition) and the last value wins.
 */
export function parseApplyBody(text: string): { value: unknown; duplicates: YamlDuplicate[] } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { value: JSON.parse(trimmed), duplicates: [] };
    } catch {
      // YAML flow style also starts with a brace: fall through.
    }
  }
  const yaml = yamlModule();
  if (!yaml) throw new Error('YAML bodies need the "yaml" package; send JSON instead');
  const duplicates: YamlDuplicate[] = [];
  const value = yaml.parse(text, {
    uniqueKeys: (a, b) => {
      const same = a?.value !== undefined && a.value === b?.value;
      if (same) duplicates.push({ line: text.slice(0, b.range?.[0] ?? 0).split('\n').length, key: String(b.value) });
      return false;
    },
  });
  return { value, duplicates };
}

/** YAML text for a value (JSON text if no YAML library is installed; JSON is valid YAML). */
export function toYaml(value: unknown): string {
  const yaml = yamlModule();
  return yaml ? yaml.stringify(value) : `${JSON.stringify(value, null, 2)}\n`;
}
