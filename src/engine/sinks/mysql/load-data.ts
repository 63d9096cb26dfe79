/**
 * Rows into a MySQL/MariaDB table by LOAD DATA LOCAL INFILE fed from a stream the sink generates:
 * the server parses tab-separated text instead of a multi-row INSERT .. ON DUPLICATE KEY UPDATE
 * statement, whose literal values it parses and evaluates (docs/performance.md, "Where a change's
 * time goes"). Measured: 152k against 46.6k inserts/s server-side; through the sink, new rows about
 * 1.4 times as fast (test/engine-mysql-sink.test.ts "upsert throughput"); rows the table holds, as
 * REPLACE below, about a quarter less server CPU per row than the upsert.
 *
 * Which rows: fresh ones (coalesce-changes.ts: the key's first change in the batch was an insert),
 * and when the table is `replaceable` (target-table.ts: REPLACE of a full row does what the upsert
 * does there) every full row the batch upserts, loaded with REPLACE.
 *
 * LOCAL makes the server treat duplicate keys and data errors as warnings: such rows are skipped
 * or their values changed (MariaDB and MySQL, "LOAD DATA INFILE", duplicate-key and
 * data-interpretation handling with LOCAL; with REPLACE a duplicate key replaces the row). So a
 * load counts only when the server read every row sent, skipped none and reported no warning or
 * note; anything else is rolled back to a savepoint and the rows go to the upsert path
 * (apply-rows.ts), which upserts replayed rows and sets rejected ones aside as dirty records
 * exactly as without this path. A server that refuses LOCAL (local_infile=OFF) is
 * remembered per session (and per table: its lines are no longer built ahead) and the upsert path
 * does all of it. Before a batch is loaded without REPLACE, one key lookup of its first row tells a
 * replay (rows the target holds already) from new rows, so a replay costs no load that would be
 * rolled back.
 *
 * The lines are built when the sink plans the chunk (planLoad), while the target still applies
 * the chunk before it (docs/performance.md, "Levers measured"), unless the table is backing off or
 * its server refused LOCAL: then the rows most likely go the upsert path, and building their lines
 * would be CPU spent for nothing. The key lookup and the load itself run at the chunk's turn.
 *
 * Only tables whose every written column takes its value from text the same way in both paths (a
 * field of a load and a string literal both reach the column as a utf8mb4 string): integers,
 * decimals, floats, character types, ENUM/SET, temporal types and YEAR. Binary and BIT columns
 * (the upsert path sends hex literals), MySQL's native JSON and every other type keep the upsert path.
 *
 * The server names a file in its request for the data; it is never read: the stream factory
 * returns the generated stream whatever the name.
 */
import { Readable } from 'node:stream';
import type { ResultSetHeader } from 'mysql2/promise';
import type { Logger } from '../../../logger.ts';
import type { ColumnValue } from '../../change-event.ts';
import { isDataError } from './sql.ts';
import { keyCondition } from './row-literal.ts';
import type { MySqlSession } from './session.ts';
import type { TargetTable } from './target-table.ts';

const LOADABLE_TYPES = new Set([
  'tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'float', 'double', 'real', 'double precision',
  'char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'date', 'datetime', 'timestamp', 'time', 'year',
]);

/**
 * The server refuses LOCAL: ER_NOT_ALLOWED_COMMAND (MariaDB and older MySQL with local_infile=OFF),
 * ER_CLIENT_LOCAL_FILES_DISABLED (MySQL 8), ER_LOAD_INFILE_CAPABILITY_DISABLED (4166: what MariaDB 10.11 answers).
 */
const REFUSED_ERRNOS = new Set([1148, 3948, 4166]);

/** Text of one generated chunk (whole lines), and the bytes of one piece handed to the connection. */
const CHUNK_CHARS = 256 * 1024;
const PIECE_BYTES = 1024 * 1024;

const FIELD_SPECIAL = /[\\\t\n\r\0]/;
const FIELD_SPECIAL_ALL = /[\\\t\n\r\0]/g;
const FIELD_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

const LOAD_STATEMENT = (t: TargetTable) => `LOAD DATA LOCAL INFILE 'opendi-stream' ${t.replaceable ? 'REPLACE ' : ''}INTO TABLE ${t.name}${STATEMENT_TAIL} (${t.columns.join(', ')})`;
const STATEMENT_TAIL = " CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ENCLOSED BY '' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' STARTING BY ''";

const refusedSessions = new WeakSet<object>();
/**
 * Per prepared table: whether its columns allow the load, and a back-off after a load that did not
 * verify or a batch that starts with a row the target holds. Such batches come in runs (a replay
 * after a crash re-inserts every row of a stretch of the log), so after one the next 1, 2, 4, ..
 * MAX_SKIPPED batches of the table go straight to the upsert path; a verified load resets it.
 */
interface TableState { loadable: boolean; backoff: number; skip: number; refused: boolean }
const MAX_SKIPPED = 64;
const tables = new WeakMap<TargetTable, TableState>();

function field(s: string): string {
  return FIELD_SPECIAL.test(s) ? s.replace(FIELD_SPECIAL_ALL, (c) => FIELD_ESCAPES[c]) : s;
}

/** One row as a line of the load; null when a value cannot travel this way (the upsert path reports it). */
function line(t: TargetTable, values: ColumnValue[]): string | null {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let text: string;
    if (v === null) text = '\\N';
    else if (typeof v !== 'string') return null;
    else {
      let bound;
      try {
        bound = t.convert[i](v);
      } catch (err) {
        if (isDataError(err)) return null;
        throw err;
      }
      if (typeof bound !== 'string') return null;
      text = field(bound);
    }
    out += i === 0 ? text : '\t' + text;
  }
  return out + '\n';
}

function stateOf(t: TargetTable): TableState {
  let st = tables.get(t);
  if (st === undefined) {
    st = { loadable: t.dataTypes.length === t.columns.length && t.dataTypes.every((dt) => LOADABLE_TYPES.has(dt)), backoff: 0, skip: 0, refused: false };
    tables.set(t, st);
  }
  return st;
}

/** Whether the batch's upserts of full rows go through the load too (see the head of this file). */
export function loadsUpserts(t: TargetTable): boolean {
  const st = stateOf(t);
  return t.replaceable && st.loadable && !st.refused;
}

/** Rows to load, with their lines when they were built ahead (`lines[i]` of `rows[i]`; null: a value that cannot travel as a field). */
export interface PlannedLoad { rows: ColumnValue[][]; lines?: (string | null)[] }

/** Builds the lines of `rows` now when a load of them will likely be tried (see the head of this file). */
export function planLoad(t: TargetTable, rows: ColumnValue[][]): PlannedLoad {
  const st = stateOf(t);
  if (!st.loadable || st.skip > 0 || st.refused) return { rows };
  return { rows, lines: rows.map((values) => line(t, values)) };
}

/**
 * Loads what it can of `rows` (full images: of rows the target most likely lacks, or any when the
 * table is replaceable), in statements of at most about `s.maxStatementChars` characters of text;
 * resolves to the rows left for the upsert path: those of every load that did not verify, rows
 * with a value the sink refuses, and all of them when the table or the server does not allow the
 * load. Errors other than data errors and a refusal of LOCAL reject, as the upsert path's would.
 */
export async function loadRows(s: MySqlSession, t: TargetTable, { rows, lines }: PlannedLoad, logger?: Logger): Promise<ColumnValue[][]> {
  const st = stateOf(t);
  if (!st.loadable) return rows;
  const rest: ColumnValue[][] = [];
  let batch: ColumnValue[][] = [];
  let chunks: string[] = [];
  let chunk = '';
  let chars = 0;
  let open = false;
  const flush = async () => {
    if (chunk !== '') chunks.push(chunk);
    const sent = batch, text = chunks;
    batch = []; chunks = []; chunk = ''; chars = 0; open = false;
    if (sent.length === 0) return;
    if (await loadBatch(s, t, text, sent.length, st, logger)) {
      st.backoff = 0;
      st.refused = false;
    } else {
      for (const r of sent) rest.push(r);
      backOff(st);
    }
  };
  for (let n = 0; n < rows.length; n++) {
    const values = rows[n];
    // Decided before a batch is sent (and encoded, when planLoad did not): a replay spares the load that would be rolled back.
    if (!open && !(await mayLoad(s, t, st, values))) {
      for (; n < rows.length; n++) rest.push(rows[n]);
      break;
    }
    open = true;
    const l = lines ? lines[n] : line(t, values);
    if (l === null) {
      rest.push(values);
      continue;
    }
    batch.push(values);
    chunk += l;
    chars += l.length;
    if (chunk.length >= CHUNK_CHARS) {
      chunks.push(chunk);
      chunk = '';
    }
    if (chars >= s.maxStatementChars) await flush();
  }
  await flush();
  return rest;
}

function backOff(st: TableState): void {
  st.backoff = Math.min(MAX_SKIPPED, Math.max(1, st.backoff * 2));
  st.skip = st.backoff;
}

/** Whether to try a load starting at row `first`: not on a session that refused LOCAL, nor while backing off, nor on a replay (unless it replaces). */
async function mayLoad(s: MySqlSession, t: TargetTable, st: TableState, first: ColumnValue[]): Promise<boolean> {
  if (refusedSessions.has(s.conn)) return false;
  if (st.skip > 0) {
    st.skip--;
    return false;
  }
  if (!t.replaceable && await holds(s, t, first)) {
    backOff(st);
    return false;
  }
  return true;
}

/**
 * Whether the table holds a row with the key of `values`. A replay re-inserts a stretch of rows the
 * target holds; one key lookup spares a load that would skip them all and be rolled back.
 */
async function holds(s: MySqlSession, t: TargetTable, values: ColumnValue[]): Promise<boolean> {
  let where: string;
  try {
    where = keyCondition(t, t.keys.map((i) => values[i]));
  } catch (err) {
    if (isDataError(err)) return false; // the row goes the upsert path when it is encoded, and is set aside there
    throw err;
  }
  const [found] = await s.conn.query(`SELECT 1 FROM ${t.name} WHERE ${where} LIMIT 1`);
  return (found as unknown[]).length > 0;
}

/** mysql2 sends each piece as one protocol packet: pieces stay well under its 16 MiB (a line may be longer than CHUNK_CHARS). */
function* encoded(chunks: string[]): Generator<Buffer> {
  for (const c of chunks) {
    const bytes = Buffer.from(c, 'utf8');
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) yield bytes.subarray(at, at + PIECE_BYTES);
  }
}

/** True when the load wrote all `count` rows without a warning; otherwise nothing of it stays. */
async function loadBatch(s: MySqlSession, t: TargetTable, chunks: string[], count: number, st: TableState, logger?: Logger): Promise<boolean> {
  await s.conn.query('SAVEPOINT opendi_load');
  let r: ResultSetHeader;
  try {
    const [result] = await s.conn.query({
      sql: LOAD_STATEMENT(t),
      // Whatever file the server asks for, it gets this stream.
      infileStreamFactory: () => Readable.from(encoded(chunks)),
    });
    r = result as ResultSetHeader;
  } catch (err) {
    const errno = (err as { errno?: unknown }).errno;
    const refused = typeof errno === 'number' && REFUSED_ERRNOS.has(errno);
    if (!refused && !isDataError(err)) throw err;
    await s.conn.query('ROLLBACK TO SAVEPOINT opendi_load');
    if (refused) {
      refusedSessions.add(s.conn);
      st.refused = true;
      logger?.info('the MySQL target refuses LOAD DATA LOCAL (local_infile=OFF); new rows are written by INSERT on this session', { table: t.label, errno });
    }
    return false;
  }
  if (r.warningStatus === 0 && wroteAll(r, count, t.replaceable)) {
    await s.conn.query('RELEASE SAVEPOINT opendi_load');
    return true;
  }
  await s.conn.query('ROLLBACK TO SAVEPOINT opendi_load');
  return false;
}

/**
 * The server's summary of a load: "Records: 3  Deleted: 1  Skipped: 0  Warnings: 0". Without
 * REPLACE every row written is an insert, so the affected rows say it; with REPLACE a row replaced
 * counts twice (MySQL and MariaDB, "REPLACE Statement": deleted and inserted, also when it is
 * updated in place), so the summary must: every row read, none skipped.
 */
function wroteAll(r: ResultSetHeader, count: number, replaced: boolean): boolean {
  if (!replaced) return r.affectedRows === count;
  const m = /^Records: (\d+)\s+Deleted: (\d+)\s+Skipped: (\d+)\s+Warnings: (\d+)/.exec(r.info ?? '');
  return m !== null && Number(m[1]) === count && Number(m[3]) === 0 && Number(m[4]) === 0;
}
