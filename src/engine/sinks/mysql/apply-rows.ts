/**
 * Set-based apply of folded rows (coalesce-changes.ts) into a MySQL/MariaDB table, values escaped
 * client-side into the statement text, each statement bounded in size:
 *   DELETE FROM t WHERE (k1, k2) IN ((..), ..)
 *   INSERT INTO t (..) VALUES (..), .. ON DUPLICATE KEY UPDATE <guard>, c = VALUES(c), ..
 *   UPDATE t SET <sent columns> WHERE <key>            (patches and key moves, one per row)
 * The guard makes a conflict on another unique index than the primary key fail (it sets the key
 * to NULL, which a key column refuses) instead of silently updating the other row, as a plain
 * ON DUPLICATE KEY UPDATE would.
 *
 * Every statement runs under a savepoint; when it fails for a row's data, it is rolled back and
 * its rows are applied one by one, each under its own savepoint: a row that fails again is handed
 * to `dirty` (which records it in the same transaction), the others are applied.
 */
import mysql, { type Connection, type ResultSetHeader } from 'mysql2/promise';
import { UNCHANGED, type ColumnValue } from '../../change-event.ts';
import type { FinalRow, Move } from '../coalesce-changes.ts';
import type { DirtyRecord } from '../../change-sink.ts';
import { isDataError } from './sql.ts';
import type { TargetTable } from './target-table.ts';

export type DirtyOp = DirtyRecord['op'];

export interface ApplyContext {
  c: Connection;
  /** Upper bound of one statement's text, in UTF-16 code units. */
  maxStatementChars: number;
  /** Records a rejected row: `tuple` is the full row (upsert/update) or the key values (delete). */
  dirty(t: TargetTable, op: DirtyOp, tuple: ColumnValue[], err: unknown): Promise<void>;
}

const DUPLICATE_ERRNOS = new Set([1022, 1062, 1169, 1586, 1859]);

const escape = mysql.escape as (v: unknown) => string;

function literal(t: TargetTable, i: number, v: ColumnValue): string {
  if (v === null) return 'NULL';
  if (v === UNCHANGED) throw new Error('an unsent (unchanged) value cannot be written');
  return escape(t.convert[i](v));
}

function keyCondition(t: TargetTable, key: ColumnValue[]): string {
  return t.keys.map((col, k) => `${t.columns[col]} = ${literal(t, col, key[k])}`).join(' AND ');
}

async function run(c: Connection, sql: string): Promise<ResultSetHeader> {
  const [r] = await c.query(sql);
  return r as ResultSetHeader;
}

/** Runs `work` under savepoint `name`: null when it succeeded, the error when it failed for the data (rolled back). */
async function underSavepoint(c: Connection, name: string, work: () => Promise<unknown>): Promise<unknown> {
  await c.query(`SAVEPOINT ${name}`);
  try {
    await work();
  } catch (err) {
    if (!isDataError(err)) throw err;
    await c.query(`ROLLBACK TO SAVEPOINT ${name}`);
    return err;
  }
  await c.query(`RELEASE SAVEPOINT ${name}`);
  return null;
}

/** Batches row literals into statements of bounded size. */
class Batcher<T> {
  private parts: string[] = [];
  private items: T[] = [];
  private chars = 0;

  constructor(private readonly limit: number, private readonly prefixChars: number, private readonly flushBatch: (parts: string[], items: T[]) => Promise<void>) {}

  async add(part: string, item: T): Promise<void> {
    if (this.parts.length > 0 && this.prefixChars + this.chars + part.length + 1 > this.limit) await this.flush();
    this.parts.push(part);
    this.items.push(item);
    this.chars += part.length + 1;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const parts = this.parts, items = this.items;
    this.parts = []; this.items = []; this.chars = 0;
    await this.flushBatch(parts, items);
  }
}

export async function applyFinalRows(ctx: ApplyContext, t: TargetTable, rows: Iterable<FinalRow>): Promise<void> {
  const deletes: ColumnValue[][] = [];
  const upserts: ColumnValue[][] = [];
  const patches: ColumnValue[][] = [];
  for (const row of rows) {
    if (row.op === 'delete') deletes.push(row.key);
    else if (row.op === 'upsert') upserts.push(row.values);
    else patches.push(row.values);
  }
  if (deletes.length > 0) await deleteRows(ctx, t, deletes);
  if (upserts.length > 0) await upsertRows(ctx, t, upserts);
  for (const values of patches) await patchRow(ctx, t, values);
}

async function deleteRows(ctx: ApplyContext, t: TargetTable, keys: ColumnValue[][]): Promise<void> {
  const single = t.keys.length === 1;
  const prefix = `DELETE FROM ${t.name} WHERE ${single ? t.columns[t.keys[0]] : `(${t.keys.map((i) => t.columns[i]).join(', ')})`} IN (`;
  const one = (key: ColumnValue[]) => run(ctx.c, `DELETE FROM ${t.name} WHERE ${keyCondition(t, key)}`);
  const batch = new Batcher<ColumnValue[]>(ctx.maxStatementChars, prefix.length, async (parts, items) => {
    const err = await underSavepoint(ctx.c, 'opendi_s', () => run(ctx.c, `${prefix}${parts.join(',')})`));
    if (err) await rowByRow(ctx, t, 'delete', items, one);
  });
  for (const key of keys) {
    let part: string;
    try {
      part = single ? literal(t, t.keys[0], key[0]) : `(${key.map((v, k) => literal(t, t.keys[k], v)).join(',')})`;
    } catch (err) {
      if (!isDataError(err)) throw err;
      await ctx.dirty(t, 'delete', key, err);
      continue;
    }
    await batch.add(part, key);
  }
  await batch.flush();
}

async function upsertRows(ctx: ApplyContext, t: TargetTable, rows: ColumnValue[][]): Promise<void> {
  const keySet = new Set(t.keys);
  const nonKey = t.columns.filter((_, i) => !keySet.has(i));
  const k0 = t.columns[t.keys[0]];
  const guard = `${k0} = IF(${t.keys.map((i) => `${t.columns[i]} <=> VALUES(${t.columns[i]})`).join(' AND ')}, ${k0}, NULL)`;
  const insert = `INSERT INTO ${t.name} (${t.columns.join(', ')}) VALUES `;
  const suffix = ` ON DUPLICATE KEY UPDATE ${[guard, ...nonKey.map((col) => `${col} = VALUES(${col})`)].join(', ')}`;
  const batch = new Batcher<{ values: ColumnValue[]; literal: string }>(ctx.maxStatementChars, insert.length + suffix.length, async (parts, items) => {
    const err = await underSavepoint(ctx.c, 'opendi_s', () => run(ctx.c, insert + parts.join(',') + suffix));
    if (err) await rowByRow(ctx, t, 'upsert', items.map((it) => it.values), (values) => upsertOne(ctx, t, values, insert, nonKey.length > 0));
  });
  for (const values of rows) {
    let part: string;
    try {
      part = `(${values.map((v, i) => literal(t, i, v)).join(',')})`;
    } catch (err) {
      if (!isDataError(err)) throw err;
      await ctx.dirty(t, 'upsert', values, err);
      continue;
    }
    await batch.add(part, { values, literal: part });
  }
  await batch.flush();
}

/**
 * One row on its own: a plain INSERT; when that hits a duplicate, an UPDATE of the row with that
 * primary key. No such row: the duplicate was another unique index's, and the INSERT's error stands.
 */
async function upsertOne(ctx: ApplyContext, t: TargetTable, values: ColumnValue[], insert: string, hasNonKey: boolean): Promise<void> {
  const row = `(${values.map((v, i) => literal(t, i, v)).join(',')})`;
  try {
    await run(ctx.c, insert + row);
    return;
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (errno === undefined || !DUPLICATE_ERRNOS.has(errno)) throw err;
    const where = keyCondition(t, t.keys.map((i) => values[i]));
    // The failed INSERT left nothing behind (statement rollback); the row-level savepoint still covers the UPDATE.
    if (hasNonKey) {
      const set = t.columns.map((col, i) => (t.keys.includes(i) ? null : `${col} = ${literal(t, i, values[i])}`)).filter((s) => s !== null);
      const r = await run(ctx.c, `UPDATE ${t.name} SET ${set.join(', ')} WHERE ${where}`);
      if (r.affectedRows === 0) throw err;
    } else {
      const [found] = await ctx.c.query(`SELECT 1 FROM ${t.name} WHERE ${where}`);
      if ((found as unknown[]).length === 0) throw err;
    }
  }
}

async function patchRow(ctx: ApplyContext, t: TargetTable, values: ColumnValue[]): Promise<void> {
  const set = t.columns.map((_, i) => i).filter((i) => values[i] !== UNCHANGED && !t.keys.includes(i));
  if (set.length === 0) return;
  const err = await underSavepoint(ctx.c, 'opendi_r', () => run(ctx.c,
    `UPDATE ${t.name} SET ${set.map((i) => `${t.columns[i]} = ${literal(t, i, values[i])}`).join(', ')} WHERE ${keyCondition(t, t.keys.map((i) => values[i]))}`));
  if (err) await ctx.dirty(t, 'update', values, err);
}

/** A key move whose unsent values must travel with the row: one UPDATE of the stored row. Resolves to the rows matched (0: none, -1: dirty). */
export async function applyMove(ctx: ApplyContext, t: TargetTable, move: Move): Promise<number> {
  const set = t.columns.map((_, i) => i).filter((i) => move.values[i] !== UNCHANGED);
  let matched = 0;
  const err = await underSavepoint(ctx.c, 'opendi_r', async () => {
    const r = await run(ctx.c, `UPDATE ${t.name} SET ${set.map((i) => `${t.columns[i]} = ${literal(t, i, move.values[i])}`).join(', ')} WHERE ${keyCondition(t, move.fromKey)}`);
    matched = r.affectedRows;
  });
  if (!err) return matched;
  await ctx.dirty(t, 'update', move.values, err);
  return -1;
}

async function rowByRow(ctx: ApplyContext, t: TargetTable, op: DirtyOp, tuples: ColumnValue[][], one: (tuple: ColumnValue[]) => Promise<unknown>): Promise<void> {
  for (const tuple of tuples) {
    const err = await underSavepoint(ctx.c, 'opendi_r', () => one(tuple));
    if (err) await ctx.dirty(t, op, tuple, err);
  }
}
