/**
 * Just enough of MySQL's DDL grammar to turn a logged statement (binlog QUERY event) into the
 * schema changes the engine reports (SchemaChange, change-event.ts): which tables are created,
 * dropped, renamed or truncated, and which columns are added, dropped, renamed or modified.
 * Anything else (indexes, grants, views, ...) yields nothing. Keywords are case-insensitive;
 * identifiers may be backquoted and schema-qualified; unqualified names belong to the event's
 * default database. Comments are skipped, except MySQL/MariaDB executable comments
 * (`/*! ... *\/`, `/*!50100 ... *\/`, `/*M! ... *\/`), whose content the server executed.
 */
import type { SchemaChange } from '../../change-event.ts';

type Token = { t: 'word' | 'ident' | 'str' | 'punct'; v: string };

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i];
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '/' && sql[i + 1] === '*') {
      const exec = /^\/\*M?!\d{0,6}/.exec(sql.slice(i, i + 12));
      if (exec) { i += exec[0].length; continue; } // executable comment: keep its content
      const e = sql.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (ch === '*' && sql[i + 1] === '/') { i += 2; continue; } // end of an executable comment
    if ((ch === '-' && sql[i + 1] === '-' && (i + 2 >= n || /\s/.test(sql[i + 2]))) || ch === '#') {
      const e = sql.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
      continue;
    }
    if (ch === '`') {
      let v = '';
      i++;
      while (i < n) {
        if (sql[i] === '`') { if (sql[i + 1] === '`') { v += '`'; i += 2; continue; } i++; break; }
        v += sql[i++];
      }
      out.push({ t: 'ident', v });
      continue;
    }
    if (ch === "'" || ch === '"') {
      let v = '';
      i++;
      while (i < n) {
        if (sql[i] === '\\') { v += sql[i + 1] ?? ''; i += 2; continue; }
        if (sql[i] === ch) { if (sql[i + 1] === ch) { v += ch; i += 2; continue; } i++; break; }
        v += sql[i++];
      }
      out.push({ t: 'str', v });
      continue;
    }
    const w = /^[\p{L}\p{N}_$]+/u.exec(sql.slice(i, i + 256));
    if (w) { out.push({ t: 'word', v: w[0] }); i += w[0].length; continue; }
    out.push({ t: 'punct', v: ch });
    i++;
  }
  return out;
}

class Cursor {
  i = 0;
  constructor(readonly tokens: Token[]) {}
  peek(k = 0): Token | undefined { return this.tokens[this.i + k]; }
  /** The next token is the keyword `kw` (a bare word, any case). */
  is(kw: string, k = 0): boolean { const t = this.peek(k); return t?.t === 'word' && t.v.toUpperCase() === kw; }
  accept(...kws: string[]): boolean {
    for (let k = 0; k < kws.length; k++) if (!this.is(kws[k], k)) return false;
    this.i += kws.length;
    return true;
  }
  punct(p: string): boolean { if (this.peek()?.t === 'punct' && this.peek()!.v === p) { this.i++; return true; } return false; }
  ident(): string | null {
    const t = this.peek();
    if (!t || (t.t !== 'word' && t.t !== 'ident')) return null;
    this.i++;
    return t.v;
  }
  /** `name` or `schema.name`. */
  tableName(defaultSchema: string): { schema: string; table: string } | null {
    const a = this.ident();
    if (a === null) return null;
    if (this.punct('.')) { const b = this.ident(); return b === null ? null : { schema: a, table: b }; }
    return { schema: defaultSchema, table: a };
  }
  /** Skips to the next comma at parenthesis depth 0 (consuming it); false at the end. */
  skipToComma(): boolean {
    let depth = 0;
    for (; this.i < this.tokens.length; this.i++) {
      const t = this.tokens[this.i];
      if (t.t !== 'punct') continue;
      if (t.v === '(') depth++;
      else if (t.v === ')') depth--;
      else if (t.v === ',' && depth === 0) { this.i++; return true; }
    }
    return false;
  }
  get done(): boolean { return this.i >= this.tokens.length; }
}

/** ADD/DROP followed by one of these is not about a column. */
const NOT_A_COLUMN = new Set(['INDEX', 'KEY', 'UNIQUE', 'PRIMARY', 'CONSTRAINT', 'FULLTEXT', 'SPATIAL', 'FOREIGN', 'CHECK',
  'PARTITION', 'PERIOD', 'SYSTEM', 'VECTOR']);

/** The schema changes one statement makes, every table (filter to the task's tables afterwards). */
export function parseDdl(sql: string, defaultSchema: string): SchemaChange[] {
  const c = new Cursor(tokenize(sql));
  const out: SchemaChange[] = [];
  const add = (ch: Omit<SchemaChange, 'sql'>) => out.push({ ...ch, sql });
  if (c.accept('CREATE')) {
    c.accept('OR', 'REPLACE');
    if (c.is('TEMPORARY')) return [];
    if (!c.accept('TABLE')) return [];
    c.accept('IF', 'NOT', 'EXISTS');
    const t = c.tableName(defaultSchema);
    if (t) add({ type: 'CREATETABLE', ...t });
  } else if (c.accept('DROP')) {
    if (c.is('TEMPORARY')) return [];
    if (!c.accept('TABLE')) return [];
    c.accept('IF', 'EXISTS');
    do { const t = c.tableName(defaultSchema); if (t) add({ type: 'DROPTABLE', ...t }); } while (c.punct(','));
  } else if (c.accept('RENAME')) {
    if (!c.accept('TABLE') && !c.accept('TABLES')) return [];
    do {
      const from = c.tableName(defaultSchema);
      if (!from || !c.accept('TO')) break;
      const to = c.tableName(defaultSchema);
      if (to) add({ type: 'RENAMETABLE', ...from, newTable: to });
    } while (c.punct(','));
  } else if (c.accept('TRUNCATE')) {
    c.accept('TABLE');
    const t = c.tableName(defaultSchema);
    if (t) add({ type: 'TRUNCATETABLE', ...t });
  } else if (c.accept('ALTER')) {
    c.accept('ONLINE'); c.accept('IGNORE');
    if (!c.accept('TABLE')) return [];
    c.accept('IF', 'EXISTS');
    const t = c.tableName(defaultSchema);
    if (!t) return [];
    for (;;) {
      parseAlterSpec(c, t, add, defaultSchema);
      if (!c.skipToComma()) break;
    }
  }
  return out;
}

function parseAlterSpec(c: Cursor, t: { schema: string; table: string }, add: (ch: Omit<SchemaChange, 'sql'>) => void, defaultSchema: string): void {
  const onTable = { schema: t.schema, table: t.table };
  if (c.accept('ADD')) {
    if (c.peek()?.t === 'word' && NOT_A_COLUMN.has(c.peek()!.v.toUpperCase())) return;
    c.accept('COLUMN');
    c.accept('IF', 'NOT', 'EXISTS');
    if (c.punct('(')) { // ADD [COLUMN] (a INT, b INT)
      for (;;) {
        const name = c.ident();
        if (name !== null) add({ type: 'ADDCOLUMN', ...onTable, column: name });
        let depth = 0;
        while (!c.done) {
          const tok = c.peek()!;
          if (tok.t === 'punct' && tok.v === '(') depth++;
          if (tok.t === 'punct' && tok.v === ')') { if (depth === 0) break; depth--; }
          if (tok.t === 'punct' && tok.v === ',' && depth === 0) break;
          c.i++;
        }
        if (!c.punct(',')) { c.punct(')'); return; }
      }
    }
    const name = c.ident();
    if (name !== null) add({ type: 'ADDCOLUMN', ...onTable, column: name });
  } else if (c.accept('DROP')) {
    if (c.peek()?.t === 'word' && NOT_A_COLUMN.has(c.peek()!.v.toUpperCase())) return;
    c.accept('COLUMN');
    c.accept('IF', 'EXISTS');
    const name = c.ident();
    if (name !== null) add({ type: 'DROPCOLUMN', ...onTable, column: name });
  } else if (c.accept('CHANGE')) {
    c.accept('COLUMN');
    c.accept('IF', 'EXISTS');
    const from = c.ident(), to = c.ident();
    if (from === null || to === null) return;
    if (from.toLowerCase() === to.toLowerCase()) add({ type: 'MODIFYCOLUMN', ...onTable, column: from });
    else add({ type: 'RENAMECOLUMN', ...onTable, column: from, newColumn: to });
  } else if (c.accept('MODIFY')) {
    c.accept('COLUMN');
    c.accept('IF', 'EXISTS');
    const name = c.ident();
    if (name !== null) add({ type: 'MODIFYCOLUMN', ...onTable, column: name });
  } else if (c.accept('ALTER')) {
    c.accept('COLUMN');
    if (c.is('INDEX') || c.is('KEY') || c.is('CHECK') || c.is('CONSTRAINT')) return;
    const name = c.ident();
    if (name !== null) add({ type: 'MODIFYCOLUMN', ...onTable, column: name });
  } else if (c.accept('RENAME')) {
    if (c.is('INDEX') || c.is('KEY')) return;
    if (c.accept('COLUMN')) {
      const from = c.ident();
      if (from === null || !c.accept('TO')) return;
      const to = c.ident();
      if (to !== null) add({ type: 'RENAMECOLUMN', ...onTable, column: from, newColumn: to });
      return;
    }
    if (!c.accept('TO')) c.accept('AS');
    const to = c.tableName(defaultSchema);
    if (to) add({ type: 'RENAMETABLE', ...onTable, newTable: to });
  }
}

const DML_VERBS = new Set(['INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'LOAD']);
const INSERT_MODIFIERS = new Set(['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'INTO']);

/**
 * A DML statement (as statement-based logging writes it): its verb and the tables it may modify,
 * conservatively (every name in UPDATE's table references, in DELETE's FROM/USING lists, the
 * target of INSERT/REPLACE/LOAD DATA); null when `sql` is not DML. Leading comments and a WITH
 * clause are skipped.
 */
export function dmlTables(sql: string, defaultSchema: string): { verb: string; tables: { schema: string; table: string }[] } | null {
  const c = new Cursor(tokenize(sql));
  if (c.is('WITH')) { // skip the common table expressions up to the statement's verb at depth 0
    let depth = 0;
    for (; !c.done; c.i++) {
      const t = c.peek()!;
      if (t.t === 'punct') depth += t.v === '(' ? 1 : t.v === ')' ? -1 : 0;
      else if (depth === 0 && t.t === 'word' && DML_VERBS.has(t.v.toUpperCase())) break;
    }
  }
  const verb = c.peek()?.t === 'word' ? c.peek()!.v.toUpperCase() : '';
  if (!DML_VERBS.has(verb)) return null;
  c.i++;
  const tables: { schema: string; table: string }[] = [];
  if (verb === 'INSERT' || verb === 'REPLACE') {
    while (c.peek()?.t === 'word' && INSERT_MODIFIERS.has(c.peek()!.v.toUpperCase())) c.i++;
    const t = c.tableName(defaultSchema);
    if (t) tables.push(t);
  } else if (verb === 'LOAD') {
    while (!c.done && !c.accept('INTO', 'TABLE')) c.i++;
    const t = c.tableName(defaultSchema);
    if (t) tables.push(t);
  } else {
    const stop = verb === 'UPDATE' ? ['SET'] : ['WHERE', 'ORDER', 'LIMIT', 'RETURNING'];
    let depth = 0;
    while (!c.done) {
      const t = c.peek()!;
      if (t.t === 'punct') { depth += t.v === '(' ? 1 : t.v === ')' ? -1 : 0; c.i++; continue; }
      if (depth === 0 && t.t === 'word' && stop.includes(t.v.toUpperCase())) break;
      const name = c.tableName(defaultSchema);
      if (name) tables.push(name); else c.i++;
    }
  }
  return { verb, tables };
}
