/**
 * The row-condition language of HandleDml `filterCondition` and DefineIncrementalCondition
 * `where` (README, "The 2024-05-18 DI Job API"): a small, SQL-looking boolean language that the
 * engine evaluates itself on each row, so user text never reaches a database as SQL.
 *
 *   expr      := or
 *   or        := and ("OR" and)*
 *   and       := not ("AND" not)*
 *   not       := "NOT" not | "(" expr ")" | predicate
 *   predicate := operand [ cmp operand | "IS" ["NOT"] "NULL" | ["NOT"] "IN" "(" literal ("," literal)* ")"
 *                        | ["NOT"] "LIKE" string | ["NOT"] "BETWEEN" operand "AND" operand ]
 *   operand   := column | literal;   cmp := = | != | <> | < | <= | > | >=
 *   column    := name | `name` | "name";   literal := number | 'text' | TRUE | FALSE | NULL
 *
 * A bare operand (no comparison) is a truth test: a boolean column, TRUE or FALSE.
 */

export type Literal =
  | { type: 'number'; text: string }
  | { type: 'string'; text: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' };

export type Operand = { column: string } | { literal: Literal };

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { op: 'and' | 'or'; args: Condition[] }
  | { op: 'not'; arg: Condition }
  | { op: 'compare'; cmp: CompareOp; left: Operand; right: Operand }
  | { op: 'isNull'; arg: Operand; negated: boolean }
  | { op: 'in'; arg: Operand; list: Literal[]; negated: boolean }
  | { op: 'like'; arg: Operand; pattern: string; negated: boolean }
  | { op: 'between'; arg: Operand; low: Operand; high: Operand; negated: boolean }
  | { op: 'truth'; arg: Operand };

export class ConditionSyntaxError extends Error {}

type Token =
  | { kind: 'word'; text: string; upper: string }
  | { kind: 'quoted'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'punct'; text: string }
  | { kind: 'end' };

const MAX_LENGTH = 4000;
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'NULL', 'IN', 'LIKE', 'BETWEEN', 'TRUE', 'FALSE']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fail = (why: string): never => { throw new ConditionSyntaxError(`${why} at character ${i + 1}`); };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    let m: RegExpExecArray | null;
    const rest = text.slice(i);
    if ((m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest))) {
      out.push({ kind: 'word', text: m[0], upper: m[0].toUpperCase() });
      i += m[0].length;
    } else if ((m = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(rest))) {
      out.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if (c === "'" || c === '`' || c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= text.length) fail(`unterminated ${c === "'" ? 'string' : 'quoted name'}`);
        if (text[j] === c) {
          if (text[j + 1] === c) { value += c; j += 2; continue; }
          break;
        }
        value += text[j++];
      }
      out.push(c === "'" ? { kind: 'string', text: value } : { kind: 'quoted', text: value });
      i = j + 1;
    } else if ((m = /^(<>|!=|<=|>=|=|<|>|\(|\)|,)/.exec(rest))) {
      out.push({ kind: 'punct', text: m[0] === '!=' ? '<>' : m[0] });
      i += m[0].length;
    } else {
      fail(`unexpected ${JSON.stringify(c)}`);
    }
  }
  out.push({ kind: 'end' });
  return out;
}

/** Parses a condition; throws ConditionSyntaxError saying what is wrong and where. */
export function parseCondition(text: string): Condition {
  if (typeof text !== 'string' || text.trim() === '') throw new ConditionSyntaxError('is empty');
  if (text.length > MAX_LENGTH) throw new ConditionSyntaxError(`is longer than ${MAX_LENGTH} characters`);
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (w: string) => { const t = peek(); return t.kind === 'word' && t.upper === w; };
  const isPunct = (p: string) => { const t = peek(); return t.kind === 'punct' && t.text === p; };
  const describe = (t: Token) => (t.kind === 'end' ? 'the end of the condition' : JSON.stringify(t.kind === 'string' ? `'${t.text}'` : t.text));
  const fail = (expected: string): never => { throw new ConditionSyntaxError(`expected ${expected} but found ${describe(peek())}`); };
  const expectWord = (w: string) => { if (!isWord(w)) fail(w); pos++; };
  const expectPunct = (p: string) => { if (!isPunct(p)) fail(`"${p}"`); pos++; };

  const literal = (): Literal | undefined => {
    const t = peek();
    if (t.kind === 'number') { pos++; return { type: 'number', text: t.text }; }
    if (t.kind === 'string') { pos++; return { type: 'string', text: t.text }; }
    if (t.kind === 'word' && (t.upper === 'TRUE' || t.upper === 'FALSE')) { pos++; return { type: 'boolean', value: t.upper === 'TRUE' }; }
    if (t.kind === 'word' && t.upper === 'NULL') { pos++; return { type: 'null' }; }
    return undefined;
  };
  const operand = (): Operand => {
    const lit = literal();
    if (lit) return { literal: lit };
    const t = peek();
    if (t.kind === 'quoted' || (t.kind === 'word' && !KEYWORDS.has(t.upper))) { pos++; return { column: t.text }; }
    return fail('a column name or a value');
  };
  const predicate = (): Condition => {
    const arg = operand();
    let negated = false;
    if (isWord('IS')) {
      pos++;
      if (isWord('NOT')) { pos++; negated = true; }
      expectWord('NULL');
      return { op: 'isNull', arg, negated };
    }
    if (isWord('NOT')) { pos++; negated = true; if (!isWord('IN') && !isWord('LIKE') && !isWord('BETWEEN')) fail('IN, LIKE or BETWEEN after NOT'); }
    if (isWord('IN')) {
      pos++;
      expectPunct('(');
      const list: Literal[] = [];
      do {
        if (list.length > 0) pos++;
        list.push(literal() ?? fail('a value in the IN list'));
      } while (isPunct(','));
      expectPunct(')');
      return { op: 'in', arg, list, negated };
    }
    if (isWord('LIKE')) {
      pos++;
      const t = peek();
      if (t.kind !== 'string') fail("a quoted pattern after LIKE");
      pos++;
      return { op: 'like', arg, pattern: (t as { text: string }).text, negated };
    }
    if (isWord('BETWEEN')) {
      pos++;
      const low = operand();
      expectWord('AND');
      return { op: 'between', arg, low, high: operand(), negated };
    }
    const t = peek();
    if (t.kind === 'punct' && ['=', '<>', '<', '<=', '>', '>='].includes(t.text)) {
      pos++;
      return { op: 'compare', cmp: t.text as CompareOp, left: arg, right: operand() };
    }
    return { op: 'truth', arg };
  };
  const not = (): Condition => {
    if (isWord('NOT')) { pos++; return { op: 'not', arg: not() }; }
    if (isPunct('(')) {
      pos++;
      const inner = or();
      expectPunct(')');
      return inner;
    }
    return predicate();
  };
  const and = (): Condition => {
    const args = [not()];
    while (isWord('AND')) { pos++; args.push(not()); }
    return args.length === 1 ? args[0] : { op: 'and', args };
  };
  const or = (): Condition => {
    const args = [and()];
    while (isWord('OR')) { pos++; args.push(and()); }
    return args.length === 1 ? args[0] : { op: 'or', args };
  };

  const result = or();
  if (peek().kind !== 'end') fail('AND, OR or the end of the condition');
  return result;
}

/** The column names a condition refers to. */
export function conditionColumns(c: Condition): string[] {
  const out = new Set<string>();
  const add = (o: Operand) => { if ('column' in o) out.add(o.column); };
  const walk = (x: Condition): void => {
    switch (x.op) {
      case 'and': case 'or': x.args.forEach(walk); break;
      case 'not': walk(x.arg); break;
      case 'compare': add(x.left); add(x.right); break;
      case 'between': add(x.arg); add(x.low); add(x.high); break;
      default: add(x.arg);
    }
  };
  walk(c);
  return [...out];
}
