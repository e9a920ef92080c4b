import * as YAML from 'yaml';

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
  return YAML.parse(text);
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
  const duplicates: YamlDuplicate[] = [];
  const value = YAML.parse(text, {
    uniqueKeys: (a: any, b: any) => {
      const same = a?.value !== undefined && a.value === b?.value;
      if (same) duplicates.push({ line: text.slice(0, b.range?.[0] ?? 0).split('\n').length, key: String(b.value) });
      return false;
    },
  });
  return { value, duplicates };
}

/** YAML text for a value. */
export function toYaml(value: unknown): string {
  return YAML.stringify(value);
}
