/**
 * Set-based apply of folded rows (coalesce-changes.ts) into a MySQL/MariaDB table, values escaped
 * client-side into the statement text, each statement bounded in size:
 *   DELETE FROM t WHERE (k1, k2) IN ((..), ..)
 *   INSERT INTO t (..) VALUES (..), .. ON DUPLICATE KEY UPDATE <guard>, c = VALUES(c), ..
 *   UPDATE t SET <sent columns> WHERE <key>            (patches and key moves, one per row)
 * Rows whose first change in the batch was an insert first try LOAD DATA LOCAL (load-data.ts), and
 * so do all upserts into a table where REPLACE does what the upsert does (TargetTable.replaceable);
 * what it does not load verified goes through the INSERT above.
 * The guard makes a conflict on another unique index than the primary key fail (it sets the key
 * to NULL, which a key column refuses) instead of silently updating the other row, as a plain
 * ON DUPLICATE KEY UPDATE would. A table without such an index gets no guard: evaluating it costs
 * the server about a tenth of an updated row's CPU (docs/performance.md, "Levers measured").
 * Every statement goes through the sink's RowGuard (row-guard.ts), which sets rows the target
 * rejects aside as dirty records.
 */
import type { ResultSetHeader } from 'mysql2/promise';
import { UNCHANGED, type ColumnValue } from '../../change-event.ts';
import type { FinalRow, Move } from '../coalesce-changes.ts';
import type { DirtyOp, RowGuard, RowsPlan } from '../sink-dialect.ts';
import type { Logger } from '../../../logger.ts';
import { loadRows, loadsUpserts, planLoad } from './load-data.ts';
import { isDataError } from './sql.ts';
import type { MySqlSession } from './session.ts';
import type { TargetTable } from './target-table.ts';
import { keyCondition, literal, RowLiteral } from './row-literal.ts';

const DUPLICATE_ERRNOS = new Set([1022, 1062, 1169, 1586, 1859]);

async function run(s: MySqlSession, sql: string): Promise<ResultSetHeader> {
  const [r] = await s.conn.query(sql);
  return r as ResultSetHeader;
}

/** Batches row literals into statements of bounded size (characters, and `maxItems` rows). */
class Batcher<T> {
  private parts: string[] = [];
  private items: T[] = [];
  private chars = 0;

  constructor(
    private readonly limit: number, private readonly prefixChars: number, private readonly flushBatch: (parts: string[], items: T[]) => Promise<void>,
    private readonly maxItems = Infinity,
  ) {}

  async add(part: string, item: T): Promise<void> {
    if (this.parts.length > 0 && (this.prefixChars + this.chars + part.length + 1 > this.limit || this.parts.length >= this.maxItems)) await this.flush();
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

/**
 * Sorts the folded rows into set statements and builds the row literals of deletes and upserts
 * now, before the session's turn (SinkDialect.planRows); the returned step joins them into
 * statements bounded by the session's max_allowed_packet and sends them. A value no literal can
 * hold is set aside as a dirty record when the step runs. The LOAD DATA lines of the rows to load
 * are built now too, unless a load is unlikely (load-data.ts planLoad); patches are encoded at
 * their turn.
 *
 * `laned`: the session is one lane of several (laned-sink.ts). A lane's transaction stays open until
 * the task commits, so a lane statement that waits on a row lock of a sibling lane waits for a commit
 * that cannot come; InnoDB sees no deadlock (half the wait is in the service) and it ends only at
 * the lock-wait bound. Lanes never touch each other's keys, so only statements that read rows
 * beyond their own keys can wait so: deletes are written so that they never scan (deleteRows).
 */
export function planFinalRows(t: TargetTable, rows: Iterable<FinalRow>, logger?: Logger, laned = false): RowsPlan<MySqlSession> {
  const deletes: ColumnValue[][] = [];
  const upserts: ColumnValue[][] = [];
  const loaded: ColumnValue[][] = [];
  const patches: ColumnValue[][] = [];
  const allLoaded = loadsUpserts(t);
  for (const row of rows) {
    if (row.op === 'delete') deletes.push(row.key);
    else if (row.op === 'upsert') (row.fresh || allLoaded ? loaded : upserts).push(row.values);
    else patches.push(row.values);
  }
  const keyLiterals = deletes.length > 0 ? encode(deletes, keyLiteralOf(t)) : undefined;
  const rowLiterals = upserts.length > 0 ? encode(upserts, rowLiteralOf(t)) : undefined;
  const load = loaded.length > 0 ? planLoad(t, loaded) : undefined;
  return async (s, guard) => {
    if (keyLiterals) await deleteRows(s, t, keyLiterals, guard, laned);
    if (rowLiterals) await upsertRows(s, t, rowLiterals, guard);
    if (load) {
      const rest = await loadRows(s, t, load, logger);
      if (rest.length > 0) await upsertRows(s, t, encode(rest, rowLiteralOf(t)), guard);
    }
    for (const values of patches) await patchRow(s, t, values, guard);
  };
}

/** Literals built ahead: `parts[i]` is the literal of `items[i]`; `refused`: rows with a value no literal can hold. */
interface Encoded { parts: string[]; items: ColumnValue[][]; refused: { values: ColumnValue[]; err: unknown }[] }

function encode(list: ColumnValue[][], literalOf: (values: ColumnValue[]) => string): Encoded {
  const out: Encoded = { parts: [], items: [], refused: [] };
  for (const values of list) {
    let part: string;
    try {
      part = literalOf(values);
    } catch (err) {
      if (!isDataError(err)) throw err;
      out.refused.push({ values, err });
      continue;
    }
    out.parts.push(part);
    out.items.push(values);
  }
  return out;
}

const keyLiteralOf = (t: TargetTable) => (t.keys.length === 1
  ? (key: ColumnValue[]) => literal(t, t.keys[0], key[0])
  : (key: ColumnValue[]) => `(${key.map((v, k) => literal(t, t.keys[k], v)).join(',')})`);

function rowLiteralOf(t: TargetTable): (values: ColumnValue[]) => string {
  const row = new RowLiteral(t);
  return (values) => row.of(values);
}

/** Sets the refused rows aside, then sends the literals through `batch` in order. */
async function sendEncoded(op: DirtyOp, e: Encoded, guard: RowGuard, batch: Batcher<ColumnValue[]>): Promise<void> {
  for (const r of e.refused) await guard.reject(op, r.values, r.err);
  for (let i = 0; i < e.parts.length; i++) await batch.add(e.parts[i], e.items[i]);
  await batch.flush();
}

/**
 * With lanes, deletes never scan the table. A multi-row DELETE whose key list is a fifth or more of
 * the table's estimated rows (MariaDB 10.11, measured: docs/performance.md "Lanes: when they pay"),
 * or longer than the range optimizer handles (MariaDB optimizer_max_sel_arg_weight, MySQL
 * range_optimizer_max_mem_size), runs as a full table scan, and under READ COMMITTED a DELETE waits
 * on every locked row it reads, matching or not (only UPDATE reads a locked row's last committed
 * version instead). So a lane deletes a handful of keys one primary-key lookup each, and more in
 * statements of at most LANE_DELETE_KEY_VALUES key values with `LIMIT <keys>`: the limit makes the
 * optimizer take the key ranges unless the list covers the whole table as it estimates it, and it
 * changes nothing else (each key is listed once: the rows are folded per key). A single sink keeps
 * the plain statement: a scan waits on no one there, and `LIMIT` would make every DELETE an "unsafe
 * statement" warning in the error log of a target with binlog_format=STATEMENT.
 */
const LANE_DELETE_ONE_BY_ONE = 16;
const LANE_DELETE_KEY_VALUES = 1000;

async function deleteRows(s: MySqlSession, t: TargetTable, keys: Encoded, guard: RowGuard, laned: boolean): Promise<void> {
  const single = t.keys.length === 1;
  const prefix = `DELETE FROM ${t.name} WHERE ${single ? t.columns[t.keys[0]] : `(${t.keys.map((i) => t.columns[i]).join(', ')})`} IN (`;
  const one = (key: ColumnValue[]) => run(s, `DELETE FROM ${t.name} WHERE ${keyCondition(t, key)}`);
  const oneByOne = laned && keys.parts.length <= LANE_DELETE_ONE_BY_ONE;
  const limit = (n: number) => (laned ? ` LIMIT ${n}` : '');
  const batch = new Batcher<ColumnValue[]>(s.maxStatementChars, prefix.length + limit(Number.MAX_SAFE_INTEGER).length, (parts, items) =>
    guard.statement('delete', items, oneByOne
      ? async () => { for (const key of items) await one(key); }
      : () => run(s, `${prefix}${parts.join(',')})${limit(items.length)}`), one),
  laned ? Math.max(1, Math.floor(LANE_DELETE_KEY_VALUES / t.keys.length)) : Infinity);
  await sendEncoded('delete', keys, guard, batch);
}

async function upsertRows(s: MySqlSession, t: TargetTable, rows: Encoded, guard: RowGuard): Promise<void> {
  const keySet = new Set(t.keys);
  const nonKey = t.columns.filter((_, i) => !keySet.has(i));
  const k0 = t.columns[t.keys[0]];
  const keyGuard = t.coupling === 'none' ? [] : [`${k0} = IF(${t.keys.map((i) => `${t.columns[i]} <=> VALUES(${t.columns[i]})`).join(' AND ')}, ${k0}, NULL)`];
  const insert = `INSERT INTO ${t.name} (${t.columns.join(', ')}) VALUES `;
  // Key columns only: the statement still needs an assignment; setting the key to itself changes nothing.
  const sets = [...keyGuard, ...nonKey.map((col) => `${col} = VALUES(${col})`)];
  const suffix = ` ON DUPLICATE KEY UPDATE ${sets.length > 0 ? sets.join(', ') : `${k0} = ${k0}`}`;
  const batch = new Batcher<ColumnValue[]>(s.maxStatementChars, insert.length + suffix.length, (parts, items) =>
    guard.statement('upsert', items, () => run(s, insert + parts.join(',') + suffix), (values) => upsertOne(s, t, values, insert, nonKey.length > 0)));
  await sendEncoded('upsert', rows, guard, batch);
}

/**
 * One row on its own: a plain INSERT; when that hits a duplicate, an UPDATE of the row with that
 * primary key. No such row: the duplicate was another unique index's, and the INSERT's error stands.
 */
async function upsertOne(s: MySqlSession, t: TargetTable, values: ColumnValue[], insert: string, hasNonKey: boolean): Promise<void> {
  const row = `(${values.map((v, i) => literal(t, i, v)).join(',')})`;
  try {
    await run(s, insert + row);
    return;
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (errno === undefined || !DUPLICATE_ERRNOS.has(errno)) throw err;
    const where = keyCondition(t, t.keys.map((i) => values[i]));
    // The failed INSERT left nothing behind (statement rollback); the row-level savepoint still covers the UPDATE.
    if (hasNonKey) {
      const set = t.columns.map((col, i) => (t.keys.includes(i) ? null : `${col} = ${literal(t, i, values[i])}`)).filter((s) => s !== null);
      const r = await run(s, `UPDATE ${t.name} SET ${set.join(', ')} WHERE ${where}`);
      if (r.affectedRows === 0) throw err;
    } else {
      const [found] = await s.conn.query(`SELECT 1 FROM ${t.name} WHERE ${where}`);
      if ((found as unknown[]).length === 0) throw err;
    }
  }
}

async function patchRow(s: MySqlSession, t: TargetTable, values: ColumnValue[], guard: RowGuard): Promise<void> {
  const set = t.columns.map((_, i) => i).filter((i) => values[i] !== UNCHANGED && !t.keys.includes(i));
  if (set.length === 0) return;
  const update = (v: ColumnValue[]) => run(s,
    `UPDATE ${t.name} SET ${set.map((i) => `${t.columns[i]} = ${literal(t, i, v[i])}`).join(', ')} WHERE ${keyCondition(t, t.keys.map((i) => v[i]))}`);
  await guard.statement('update', [values], () => update(values), update);
}

/** A key move whose unsent values must travel with the row: one UPDATE of the stored row; resolves to the rows matched. */
export async function applyMove(s: MySqlSession, t: TargetTable, move: Move): Promise<number> {
  const set = t.columns.map((_, i) => i).filter((i) => move.values[i] !== UNCHANGED);
  const r = await run(s, `UPDATE ${t.name} SET ${set.map((i) => `${t.columns[i]} = ${literal(t, i, move.values[i])}`).join(', ')} WHERE ${keyCondition(t, move.fromKey)}`);
  return r.affectedRows;
}
