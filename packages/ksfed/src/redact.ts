/**
 * Keeps resolved placeholder values and credentials out of every message, diff and JSON output: each known value
 * (and its base64 form) is replaced by a marker that names it, e.g. `{{ksfed:jwt-secret}}`.
 */
export class Redactor {
  private readonly values = new Map<string, string>();
  private pattern?: RegExp;

  /** Registers a value to hide behind `label`. Values shorter than 6 characters are ignored (too common). */
  public add(value: string | undefined, label: string): void {
    if (typeof value !== 'string') return;
    const forms = [value, value.trim(), Buffer.from(value, 'utf8').toString('base64')];
    for (const form of forms) {
      if (form.length >= 6 && !this.values.has(form)) {
        this.values.set(form, label);
        this.pattern = undefined;
      }
    }
  }

  /** Whether `text` holds a registered value. */
  public leaks(text: string): boolean {
    const p = this.regex();
    return p !== undefined && new RegExp(p.source).test(text);
  }

  /** `text` with every registered value replaced. */
  public redact(text: string): string {
    const p = this.regex();
    if (!p || typeof text !== 'string') return text;
    return text.replace(p, m => this.values.get(m) ?? '<redacted>');
  }

  /** A deep copy of a JSON value with every string redacted. */
  public redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as unknown as T;
    if (Array.isArray(value)) return value.map(v => this.redactDeep(v)) as unknown as T;
    if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      const out: { [k: string]: unknown } = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactDeep(v);
      return out as T;
    }
    return value;
  }

  private regex(): RegExp | undefined {
    if (this.values.size === 0) return undefined;
    if (!this.pattern) {
      // Longest first, so a value that contains another one is replaced whole.
      const keys = [...this.values.keys()].sort((a, b) => b.length - a.length).map(escape);
      this.pattern = new RegExp(keys.join('|'), 'g');
    }
    return this.pattern;
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
