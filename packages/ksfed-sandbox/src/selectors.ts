import { ApiError } from './errors';
import { JsonObject } from './json';

/** One requirement of a label selector. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | '>' | '<';
  readonly values: string[];
}

/** A parsed label selector; the empty selector matches everything. */
export class LabelSelector {
  /**
   * Parses the full `labelSelector` syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`.
   * Throws a 400 ApiError on a syntax error, as the API server does.
   */
  public static parse(text: string | undefined | null): LabelSelector {
    return new LabelSelector(new LabelSelectorParser(text ?? '').parse());
  }

  constructor(public readonly requirements: LabelRequirement[]) {}

  /** Whether the labels satisfy every requirement. */
  public matches(labels: Record<string, string> | undefined): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      const value = l[r.key];
      switch (r.operator) {
        case 'exists': return has;
        case '!': return !has;
        case '=': return has && value === r.values[0];
        case '!=': return !has || value !== r.values[0];
        case 'in': return has && r.values.includes(value);
        case 'notin': return !has || !r.values.includes(value);
        case '>': return has && /^-?\d+$/.test(value) && Number(value) > Number(r.values[0]);
        case '<': return has && /^-?\d+$/.test(value) && Number(value) < Number(r.values[0]);
      }
    });
  }
}

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string } | { kind: 'end' };

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

class LabelSelectorParser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  public parse(): LabelRequirement[] {
    const out: LabelRequirement[] = [];
    if (this.peek().kind === 'end') return out;
    for (;;) {
      out.push(this.requirement());
      const t = this.next();
      if (t.kind === 'end') return out;
      if (!(t.kind === 'op' && t.text === ',')) this.fail(`found '${tokenText(t)}', expected: ',' or 'end of string'`);
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next();
    if (t.kind === 'op' && t.text === '!') {
      return { key: this.key(this.next()), operator: '!', values: [] };
    }
    const key = this.key(t);
    t = this.peek();
    if (t.kind === 'end' || (t.kind === 'op' && t.text === ',')) return { key, operator: 'exists', values: [] };
    t = this.next();
    if (t.kind === 'op' && (t.text === '=' || t.text === '==' || t.text === '!=')) {
      return { key, operator: t.text === '!=' ? '!=' : '=', values: [this.singleValue()] };
    }
    if (t.kind === 'op' && (t.text === '>' || t.text === '<')) {
      const v = this.next();
      if (v.kind !== 'id' || !/^-?\d+$/.test(v.text)) this.fail(`for '${t.text}', '<' operators, exactly one integer value is required`);
      return { key, operator: t.text as '>' | '<', values: [(v as { text: string }).text] };
    }
    if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
      return { key, operator: t.text, values: this.valueSet() };
    }
    return this.fail(`found '${tokenText(t)}', expected: in, notin, =, ==, !=, gt, lt`);
  }

  private key(t: Token): string {
    if (t.kind !== 'id') return this.fail(`found '${tokenText(t)}', expected: identifier`);
    if (!KEY.test(t.text) || t.text.split('/').pop()!.length > 63) this.fail(`invalid label key "${t.text}"`);
    return t.text;
  }

  private singleValue(): string {
    const t = this.peek();
    if (t.kind === 'end' || (t.kind === 'op' && t.text === ',')) return '';
    this.next();
    if (t.kind !== 'id') return this.fail(`found '${tokenText(t)}', expected: identifier`);
    return this.value(t.text);
  }

  private valueSet(): string[] {
    const open = this.next();
    if (!(open.kind === 'op' && open.text === '(')) this.fail(`found '${tokenText(open)}', expected: '('`);
    const values: string[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind === 'op' && t.text === ')') {
        if (values.length === 0) values.push('');
        return values;
      }
      if (t.kind === 'op' && t.text === ',') {
        if (values.length === 0) values.push('');
        const after = this.peek();
        if (after.kind === 'op' && (after.text === ',' || after.text === ')')) values.push('');
        continue;
      }
      if (t.kind !== 'id') return this.fail(`found '${tokenText(t)}', expected: ',', ')' or identifier`);
      values.push(this.value(t.text));
    }
  }

  private value(v: string): string {
    if (v.length > 63 || !VALUE.test(v)) this.fail(`invalid label value: "${v}"`);
    return v;
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  private fail(why: string): never {
    throw ApiError.badRequest(`unable to parse requirement: ${why}`);
  }
}

function tokenText(t: Token): string {
  return t.kind === 'end' ? '' : t.text;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '!' && text[i + 1] === '=') {
      out.push({ kind: 'op', text: '!=' });
      i += 2;
    } else if (c === '=' && text[i + 1] === '=') {
      out.push({ kind: 'op', text: '==' });
      i += 2;
    } else if ('!=(),<>'.includes(c)) {
      out.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s!=(),<>]/.test(text[j])) j++;
      out.push({ kind: 'id', text: text.slice(i, j) });
      i = j;
    }
  }
  out.push({ kind: 'end' });
  return out;
}

/** One requirement of a field selector. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** A parsed field selector over `metadata.name` and `metadata.namespace` (what every resource supports). */
export class FieldSelector {
  /** The fields every resource can be selected by. */
  public static readonly SUPPORTED = ['metadata.name', 'metadata.namespace'];

  /** Parses `a=b,c!=d`; an unknown field is a 400 naming the supported ones, as on a real server. */
  public static parse(text: string | undefined | null): FieldSelector {
    const reqs: FieldRequirement[] = [];
    for (const part of (text ?? '').split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
      const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
      if (!m) throw ApiError.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
      const field = m[1].trim();
      if (!FieldSelector.SUPPORTED.includes(field)) {
        throw ApiError.badRequest(`${JSON.stringify(field)} is not a known field selector: only ${FieldSelector.SUPPORTED.map((f) => JSON.stringify(f)).join(', ')}`);
      }
      reqs.push({ field, operator: m[2] === '!=' ? '!=' : '=', value: m[3].trim() });
    }
    return new FieldSelector(reqs);
  }

  constructor(public readonly requirements: FieldRequirement[]) {}

  /** Whether the object satisfies every requirement. */
  public matches(obj: JsonObject): boolean {
    return this.requirements.every((r) => {
      const actual = r.field === 'metadata.name' ? obj.metadata?.name ?? '' : obj.metadata?.namespace ?? '';
      return r.operator === '=' ? actual === r.value : actual !== r.value;
    });
  }
}
