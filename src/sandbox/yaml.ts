import * as path from 'path';

interface YamlModule {
  parse(text: string): unknown;
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

/** YAML text for a value (JSON text if no YAML library is installed; JSON is valid YAML). */
export function toYaml(value: unknown): string {
  const yaml = yamlModule();
  return yaml ? yaml.stringify(value) : `${JSON.stringify(value, null, 2)}\n`;
}
