/**
 * Binds a parsed row condition (condition-syntax.ts) to one table's columns and evaluates it on
 * row images. Binding checks every column exists and every comparison makes sense for the
 * column's type (a number against a text column is refused), so a mistake fails the job's start
 * with a clear message instead of silently filtering rows.
 *
 * Evaluation is SQL's three-valued logic plus a fourth value for a column the source did not send
 * (PostgreSQL leaves unchanged TOAST values out of an update): `true` only when the condition
 * certainly holds; 'unsent' when it depends on a value that was not sent.
 */
import { UNCHANGED, type ColumnValue } from '../change-event.ts';
import type { LogicalType } from '../table-schema.ts';
import { compareAs, valueClassOf, type ValueClass } from './compare-values.ts';
import type { CompareOp, Condition, Literal, Operand } from './condition-syntax.ts';

export type Truth = true | false | null | 'unsent';
export type BoundCondition = (row: ColumnValue[]) => Truth;

export interface BindColumn { name: string; logical: LogicalType }

export class ConditionBindError extends Error {}

type Value = ColumnValue;
type Getter = { get: (row: ColumnValue[]) => Value; cls: ValueClass | null; label: string };

export function bindCondition(c: Condition, columns: BindColumn[]): BoundCondition {
  const byName = new Map(columns.map((col, i) => [col.name, { i, col }]));
  const byLower = new Map(columns.map((col, i) => [col.name.toLowerCase(), { i, col }]));

  const operand = (o: Operand): Getter => {
    if ('column' in o) {
      const found = byName.get(o.column) ?? byLower.get(o.column.toLowerCase());
      if (!found) throw new ConditionBindError(`refers to column ${o.column}, which the table does not have (columns: ${columns.map((x) => x.name).join(', ')})`);
      return { get: (row) => row[found.i], cls: valueClassOf(found.col.logical), label: `column ${found.col.name}` };
    }
    const text = literalText(o.literal);
    return { get: () => text, cls: literalClass(o.literal), label: describeLiteral(o.literal) };
  };
  /** The class two operands are compared in; a literal takes its column's class when it fits. */
  const classFor = (a: Getter, b: Getter): ValueClass => {
    const x = a.cls;
    const y = b.cls;
    if (x === null || y === null) return x ?? y ?? 'text';
    if (x === y) return x;
    // A quoted literal may spell a number, a time or a boolean for such a column.
    const column = a.label.startsWith('column') ? a : b;
    const other = column === a ? b : a;
    if (other.cls === 'text' && !other.label.startsWith('column')) return column.cls!;
    if (column.cls === 'boolean' && other.cls === 'number') return 'boolean';
    throw new ConditionBindError(`compares ${a.label} (${x}) with ${b.label} (${y})`);
  };
  const checkLiteral = (g: Getter, cls: ValueClass) => {
    if (g.label.startsWith('column')) return;
    const v = g.get([]);
    if (v !== null && compareAs(cls, v as string, v as string) === null) throw new ConditionBindError(`${g.label} is not a valid ${cls} value`);
  };

  const bind = (x: Condition): BoundCondition => {
    switch (x.op) {
      case 'and': { const parts = x.args.map(bind); return (row) => combineAnd(parts.map((p) => p(row))); }
      case 'or': { const parts = x.args.map(bind); return (row) => combineOr(parts.map((p) => p(row))); }
      case 'not': { const inner = bind(x.arg); return (row) => negate(inner(row)); }
      case 'isNull': {
        const g = operand(x.arg);
        return (row) => { const v = g.get(row); return v === UNCHANGED ? 'unsent' : (v === null) !== x.negated; };
      }
      case 'compare': {
        const a = operand(x.left);
        const b = operand(x.right);
        const cls = classFor(a, b);
        checkLiteral(a, cls); checkLiteral(b, cls);
        return (row) => compareOp(x.cmp, cls, a.get(row), b.get(row));
      }
      case 'between': {
        const a = operand(x.arg);
        const lo = operand(x.low);
        const hi = operand(x.high);
        const cls = classFor(a, lo);
        classFor(a, hi);
        checkLiteral(lo, cls); checkLiteral(hi, cls);
        const test = (row: ColumnValue[]) => combineAnd([compareOp('>=', cls, a.get(row), lo.get(row)), compareOp('<=', cls, a.get(row), hi.get(row))]);
        return x.negated ? (row) => negate(test(row)) : test;
      }
      case 'in': {
        const a = operand(x.arg);
        const items = x.list.map((l) => operand({ literal: l }));
        const classes = items.map((it) => classFor(a, it));
        items.forEach((it, i) => checkLiteral(it, classes[i]));
        const test = (row: ColumnValue[]) => combineOr(items.map((it, i) => compareOp('=', classes[i], a.get(row), it.get(row))));
        return x.negated ? (row) => negate(test(row)) : test;
      }
      case 'like': {
        const a = operand(x.arg);
        const re = likePattern(x.pattern);
        const test = (row: ColumnValue[]): Truth => {
          const v = a.get(row);
          if (v === UNCHANGED) return 'unsent';
          return v === null ? null : re.test(v);
        };
        return x.negated ? (row) => negate(test(row)) : test;
      }
      case 'truth': {
        const a = operand(x.arg);
        if (a.cls !== 'boolean') throw new ConditionBindError(`uses ${a.label} as a condition; compare it with a value (for example ${a.label.replace(/^column /, '')} = 1)`);
        return (row) => compareOp('=', 'boolean', a.get(row), 't');
      }
    }
  };
  return bind(c);
}

function compareOp(op: CompareOp, cls: ValueClass, a: Value, b: Value): Truth {
  if (a === UNCHANGED || b === UNCHANGED) return 'unsent';
  if (a === null || b === null) return null;
  const r = compareAs(cls, a, b);
  if (r === null) return null;
  switch (op) {
    case '=': return r === 0;
    case '<>': return r !== 0;
    case '<': return r < 0;
    case '<=': return r <= 0;
    case '>': return r > 0;
    case '>=': return r >= 0;
  }
}

function combineAnd(v: Truth[]): Truth {
  if (v.includes(false)) return false;
  if (v.includes('unsent')) return 'unsent';
  return v.includes(null) ? null : true;
}

function combineOr(v: Truth[]): Truth {
  if (v.includes(true)) return true;
  if (v.includes('unsent')) return 'unsent';
  return v.includes(null) ? null : false;
}

function negate(v: Truth): Truth {
  return v === true ? false : v === false ? true : v;
}

function literalText(l: Literal): string | null {
  switch (l.type) {
    case 'number': case 'string': return l.text;
    case 'boolean': return l.value ? 't' : 'f';
    case 'null': return null;
  }
}

function literalClass(l: Literal): ValueClass | null {
  return l.type === 'number' ? 'number' : l.type === 'boolean' ? 'boolean' : l.type === 'string' ? 'text' : null;
}

function describeLiteral(l: Literal): string {
  return l.type === 'string' ? `'${l.text}'` : l.type === 'number' ? l.text : l.type === 'boolean' ? String(l.value).toUpperCase() : 'NULL';
}

/** SQL LIKE: % any run, _ one character, everything else literal; the whole value must match. */
function likePattern(p: string): RegExp {
  let re = '';
  for (const ch of p) re += ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`, 's');
}
