/**
 * The one set-aside algorithm of every sink (the RowGuard contract in sink-dialect.ts): a set
 * statement under a savepoint; on a data error, its rows one by one, each under its own savepoint;
 * a row rejected again is recorded as a dirty record in the same transaction and the rest applies
 * (the dirty-record rule of change-sink.ts). Savepoint syntax is the same in PostgreSQL and MySQL.
 */
import type { ColumnValue } from '../change-event.ts';
import type { DirtyOp, PreparedTable, RowGuard, StoredDirtyRecord } from './sink-dialect.ts';

/** Error text kept per dirty record: bounded, whatever a server puts in its messages. */
const MAX_ERROR_CHARS = 60_000;

export interface GuardTarget<C> {
  exec(c: C, sql: string): Promise<void>;
  isDataError(err: unknown): boolean;
}

export function createRowGuard<C>(d: GuardTarget<C>, c: C, table: PreparedTable, setAside: (dirty: StoredDirtyRecord) => Promise<void>): RowGuard {
  /** Null when `work` succeeded; the error when it failed for a row's data (rolled back to the savepoint). */
  const attempt = async (work: () => Promise<unknown>): Promise<unknown> => {
    await d.exec(c, 'SAVEPOINT opendi_row');
    try {
      await work();
    } catch (err) {
      if (!d.isDataError(err)) throw err;
      await d.exec(c, 'ROLLBACK TO SAVEPOINT opendi_row');
      // Released too: PostgreSQL would otherwise keep one subtransaction per rejected row.
      await d.exec(c, 'RELEASE SAVEPOINT opendi_row');
      return err;
    }
    await d.exec(c, 'RELEASE SAVEPOINT opendi_row');
    return null;
  };
  const reject = (op: DirtyOp, row: ColumnValue[], err: unknown) => setAside(dirtyRecordOf(table, op, row, err));
  return {
    async statement(op, rows, all, one) {
      const err = await attempt(all);
      if (err === null) return;
      // A single row is tried alone too: `one` can name the cause better than the set statement (MySQL: the
      // duplicate entry, where the upsert's guard against a secondary unique conflict says "Column cannot be null").
      for (const row of rows) {
        const rowErr = await attempt(() => one(row));
        if (rowErr !== null) await reject(op, row, rowErr);
      }
    },
    reject,
  };
}

/** `row`: the full tuple, or the key values for a delete. The values stay in the target's dirty table only. */
export function dirtyRecordOf(t: PreparedTable, op: DirtyOp, row: ColumnValue[], err: unknown): StoredDirtyRecord {
  const key = JSON.stringify(op === 'delete' ? row : t.keys.map((i) => row[i]), unchangedAsNull);
  const values = op === 'delete' ? null : JSON.stringify(Object.fromEntries(t.columnNames.map((col, i) => [col, row[i]])), unchangedAsNull);
  const error = String(err instanceof Error ? err.message : err).slice(0, MAX_ERROR_CHARS);
  return { record: { table: t.label, op, key, error }, values };
}

/** JSON.stringify replacer: an unsent TOAST value shows as null in a dirty record. */
function unchangedAsNull(_key: string, value: unknown): unknown {
  return typeof value === 'symbol' ? null : value;
}
