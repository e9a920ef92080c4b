/**
 * A strict reader for the plain block YAML that cdk8s writes (one document; block mappings and sequences; plain,
 * single- and double-quoted scalars on one line; `[]` and `{}`), in a fraction of a general parser's time: a
 * fresh process runs a character-by-character parser slowly until V8 has compiled it, and reading a folder is on
 * the critical path of every apply. It returns undefined for anything it does not fully understand (comments,
 * anchors, tags, block scalars, flow collections with items, multi-line scalars, a scalar YAML could read as a
 * number, tabs, duplicate keys, ...), and the caller then parses the text with js-yaml, whose result
 * (CORE_SCHEMA) this one equals wherever it answers.
 */
export function readPlainYaml(text: string): object | undefined {
  // What this reader never takes, checked once over the whole text: tabs, carriage returns, trailing spaces,
  // blank lines (other than at the end), comments.
  const body = text.replace(/\n+$/, '');
  if (body === '' || body.includes('\t') || body.includes('\r') || body.includes(' \n') || body.endsWith(' ')
    || body.includes('\n\n') || body.includes(' #') || /(^|\n) *#/.test(body)) {
    return undefined;
  }
  const reader = new Reader(body.split('\n'));
  try {
    const value = reader.block(0);
    return reader.done() && value !== null && typeof value === 'object' ? value : undefined;
  } catch (e) {
    if (e === UNSURE) return undefined;
    throw e;
  }
}

/** Thrown inside the reader when the text leaves the subset: the caller falls back to js-yaml. */
const UNSURE = Symbol('unsure');

function unsure(): never {
  throw UNSURE;
}

/** A recursive descent over the lines, each split once into its indentation and its content. */
class Reader {
  private readonly indents: number[];
  private readonly contents: string[];
  private index = 0;

  constructor(lines: string[]) {
    this.contents = lines.map(l => l.trimStart());
    this.indents = lines.map((l, i) => l.length - this.contents[i].length);
  }

  public done(): boolean {
    return this.index === this.contents.length;
  }

  /** The value whose first line is the next line, at exactly `indent`. */
  public block(indent: number): unknown {
    if (this.indentAt() !== indent) unsure();
    return isItem(this.contents[this.index]) ? this.sequence(indent) : this.mapping(indent, undefined);
  }

  /** The next line's indentation, or -1 at the end. */
  private indentAt(): number {
    return this.index < this.contents.length ? this.indents[this.index] : -1;
  }

  /** Block sequence items `- x` at `indent`. */
  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.indentAt() === indent && isItem(this.contents[this.index])) {
      const content = this.contents[this.index++];
      const rest = content === '-' ? '' : content.slice(2);
      if (rest === '') {
        out.push(this.nested(indent));
      } else if (isItem(rest)) {
        unsure();
      } else if (entryOf(rest)) {
        // `- key: value`: a mapping whose first entry is on the item's line, the others at indent + 2.
        out.push(this.mapping(indent + 2, rest));
      } else {
        out.push(scalar(rest));
      }
    }
    return out;
  }

  /** Block mapping entries at `indent`; `first` is an entry already taken from a `- ` line. */
  private mapping(indent: number, first: string | undefined): { [key: string]: unknown } {
    const out: { [key: string]: unknown } = {};
    if (first !== undefined) this.entry(out, indent, first);
    while (this.indentAt() === indent) {
      const content = this.contents[this.index];
      if (isItem(content)) unsure(); // a sequence at the key's own indentation
      this.index++;
      this.entry(out, indent, content);
    }
    if (this.indentAt() > indent) unsure();
    return out;
  }

  private entry(out: { [key: string]: unknown }, indent: number, content: string): void {
    const entry = entryOf(content);
    if (!entry || entry.key === '__proto__' || Object.prototype.hasOwnProperty.call(out, entry.key)) unsure();
    out[entry.key] = entry.rest === '' ? this.nested(indent) : scalar(entry.rest);
  }

  /** The value of `key:` or `-` with nothing after it: a deeper block, or null when none follows. */
  private nested(indent: number): unknown {
    const next = this.indentAt();
    if (next > indent) return this.block(next);
    // `key:` followed by a sequence at the key's own indentation is valid YAML that this reader leaves alone.
    if (next === indent && isItem(this.contents[this.index])) unsure();
    return null;
  }
}

function isItem(content: string): boolean {
  return content === '-' || content.startsWith('- ');
}

/** `key: rest` or `key:` (rest ''), with a plain or double-quoted key; undefined when the content is not an entry. */
function entryOf(content: string): { key: string; rest: string } | undefined {
  let key: string;
  let after: number;
  if (content[0] === '"') {
    const close = closingQuote(content);
    if (close < 0) return undefined;
    key = doubleQuoted(content.slice(0, close + 1));
    after = close + 1;
    if (content[after] !== ':') return undefined;
  } else {
    after = content.indexOf(':');
    while (after >= 0 && after + 1 < content.length && content[after + 1] !== ' ') after = content.indexOf(':', after + 1);
    if (after <= 0) return undefined;
    key = content.slice(0, after);
    if (!PLAIN_KEY.test(key) || CORE_WORD.test(key)) unsure();
  }
  if (after + 1 === content.length) return { key, rest: '' };
  if (content[after + 1] !== ' ') return undefined;
  const rest = content.slice(after + 2);
  if (rest.startsWith(' ')) unsure();
  return { key, rest };
}

/**
 * A plain key this reader takes as written: starts with a letter, `_`, `/` or `.` and a letter, and holds only
 * letters, digits and `_./-` (js-yaml would turn `True`, `1e3` or `0x1F` into another property name).
 */
const PLAIN_KEY = /^(?:[A-Za-z_/]|\.[A-Za-z])[A-Za-z0-9_./-]*$/;
/** The words the core schema reads as null or a boolean (or, after a dot, as infinity or not-a-number). */
const CORE_WORD = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE|\.(?:inf|Inf|INF|nan|NaN|NAN))$/;

/** The index of the `"` that closes the double-quoted scalar at the start of `text`, or -1. */
function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') return i;
  }
  return -1;
}

/** A double-quoted scalar whose escapes are all ones JSON shares with YAML. */
function doubleQuoted(token: string): string {
  if (/\\[^"/bfnrtu]/.test(token.replace(/\\\\/g, ''))) unsure();
  try {
    return JSON.parse(token);
  } catch {
    return unsure();
  }
}

/**
 * First characters of a plain scalar that this reader takes as a string: printable ASCII that is none of YAML's
 * indicators (`-?:,[]{}#&*!|>'"%@` and the backquote) and cannot start a number or `~`.
 */
const STRING_START = new Set([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_/$()<=;^\\']);
/** A command-line flag's start (`--v=2`, `-q`): a dash and a letter cannot start a number. */
const FLAG = /^--?[A-Za-z_]/;
/**
 * A number with a unit (`500m`, `512Mi`, `10s`, `25%`) or a Go duration (`1m0s`, `1h30m`): letters after the digits,
 * ending with letters or `%`, none a YAML number (`0x1F`, `1e5`).
 */
const QUANTITY = /^(?!0[xXoObB])[0-9]+(?:\.[0-9]+)?(?:[A-Za-z]+[0-9]+(?:\.[0-9]+)?)*(?:[A-Za-z]+|%)$/;
/** The plain scalars the core schema reads as null or a boolean. */
const CORE_WORDS = new Map<string, unknown>([
  ['null', null], ['Null', null], ['NULL', null], ['~', null],
  ['true', true], ['True', true], ['TRUE', true], ['false', false], ['False', false], ['FALSE', false],
]);
/** An integer js-yaml's core schema reads as this number (no underscores, bases or leading zeros). */
const PLAIN_INT = /^-?(0|[1-9][0-9]{0,14})$/;

function scalar(rest: string): unknown {
  const first = rest[0];
  if (first === '"') {
    if (closingQuote(rest) !== rest.length - 1) unsure();
    return doubleQuoted(rest);
  }
  if (first === '\'') {
    if (rest.length < 2 || !rest.endsWith('\'') || rest.slice(1, -1).replace(/''/g, '').includes('\'')) unsure();
    return rest.slice(1, -1).replace(/''/g, '\'');
  }
  if (rest === '[]') return [];
  if (rest === '{}') return {};
  if (CORE_WORDS.has(rest)) return CORE_WORDS.get(rest);
  // (a comment ` #` was refused with its line)
  if (rest.includes(': ') || rest.endsWith(':')) unsure();
  if (STRING_START.has(first) || (first === '-' && FLAG.test(rest)) || QUANTITY.test(rest)) return rest;
  if (PLAIN_INT.test(rest)) return Number(rest);
  return unsure();
}
