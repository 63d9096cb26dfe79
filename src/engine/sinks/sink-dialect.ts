/**
 * What a target database provides to the checkpointed sink (checkpointed-sink.ts). The sink holds
 * the exactly-once protocol once for every target (docs/target-checkpoint.md): claim and fence,
 * one open transaction committed with the checkpoint row, rollback, dirty records set aside in
 * that same transaction, discard. A dialect only knows its SQL: how to connect, its checkpoint
 * statements, how to create, alter and write its tables, and which of its errors are a row's data.
 *
 * Contract of a dialect:
 * - `connect` opens one session set up for the sink (error listener, timeouts, TLS, session
 *   settings); `exec` runs one statement without a result on it (BEGIN, COMMIT, SAVEPOINT, ...).
 * - `transactionalDdl`: DDL joins the open transaction (PostgreSQL). False: DDL commits implicitly
 *   (MySQL); the sink then calls `applySchemaChange` only outside a transaction, and
 *   `prepareTable` must not commit an open one (it runs its DDL on a separate session).
 * - Every DDL method is idempotent (a replay after a crash finds the change done and does nothing)
 *   and reports the statements it ran and what it could not reproduce exactly.
 * - `planRows` builds a chunk's statements before its turn on the session; its step and
 *   `applyMove` write through the RowGuard, so rows the target rejects for their data become
 *   dirty records while the rest applies.
 */
import type { ColumnValue, RelationInfo, SchemaChange } from '../change-event.ts';
import type { DirtyRecord } from '../change-sink.ts';
import type { TableSchema } from '../table-schema.ts';
import type { FinalRow, Move } from './coalesce-changes.ts';

/** A target table: `schema` is the PostgreSQL schema or the MySQL database. */
export interface TargetName { schema: string; table: string }

/** Whose checkpoint: two installations writing one target never share a row. */
export interface Owner { installationId: string; taskId: number }

/** What a dialect resolved for one relation; dialects add what their statements need. */
export interface PreparedTable {
  /** schema.table, for messages and dirty records. */
  label: string;
  /** The relation's column names in tuple order (the values of a dirty record). */
  columnNames: string[];
  /** Indexes (into the tuples) of the primary key columns. */
  keys: number[];
  coupling: Coupling;
}

/**
 * Whether a target table's rows constrain rows of other keys, so that the order of changes across
 * keys matters: 'rows', a unique index (or exclusion constraint) besides the primary key (a value
 * moves from one row to another); 'tables', an enforced foreign key from or to the table (a parent
 * row must exist before its children); 'none'. With lanes such tables go whole to one lane
 * (lane-routing.ts), and rows of them set aside get a second pass in source order
 * (checkpointed-sink.ts).
 */
export type Coupling = 'none' | 'rows' | 'tables';

/** DDL run at the target. */
export interface DdlOutcome {
  /** The statements run, in order (empty: nothing to do, e.g. a replay). */
  statements: string[];
  /** What the target could not reproduce exactly (an expression default, a generated column, ...). */
  warnings: string[];
  /** Target tables whose prepared info is stale now. */
  touched: TargetName[];
}

export type DirtyOp = DirtyRecord['op'];

/** Statements built ahead (SinkDialect.planRows), sent on a session when it is their turn. */
export type RowsPlan<C> = (c: C, guard: RowGuard) => Promise<void>;

/**
 * Runs set statements so that rows the target rejects for their data are set aside: the whole
 * statement under a savepoint; when it fails for a row's data, each row alone under its own
 * savepoint; a row that fails again becomes a dirty record (same transaction), the others apply.
 * `rows` are full tuples, or key tuples for 'delete'.
 */
export interface RowGuard {
  statement(op: DirtyOp, rows: ColumnValue[][], all: () => Promise<unknown>, one: (row: ColumnValue[]) => Promise<unknown>): Promise<void>;
  /** A row refused before it reached the target (a value the dialect cannot write unchanged). */
  reject(op: DirtyOp, row: ColumnValue[], err: unknown): Promise<void>;
}

/** A dirty record as stored: the record plus the row's values as JSON (null for deletes). */
export interface StoredDirtyRecord { record: DirtyRecord; values: string | null }

/**
 * The checkpoint and dirty-record tables of one target (docs/target-checkpoint.md). Rows are keyed
 * by (installation, task). Statements other than `ensureTables`, `claim` and `discard` run inside
 * the sink's open transaction.
 */
export interface CheckpointStore<C> {
  /** Creates the tables when missing (concurrent callers allowed) and migrates older layouts in place. */
  ensureTables(c: C, owner: Owner): Promise<void>;
  /**
   * In its own transaction: raises the stored fence to `fence` and returns the committed position
   * and the number of dirty records kept; 'fenced' when the stored fence is >= `fence`.
   * `lockWaitMs`: waits for a lock on the row at most this long (the forced path, raise-fence.ts;
   * the dialect's usual bound when absent).
   */
  claim(c: C, owner: Owner, fence: number, lockWaitMs?: number): Promise<{ position: string | null; dirtyRecords: number } | 'fenced'>;
  /** In the open transaction: waits for a concurrent claim, checks the fence, writes the position. False: fenced. */
  write(c: C, owner: Owner, fence: number, position: string): Promise<boolean>;
  /**
   * Parallel apply (docs/target-checkpoint.md "Lanes"), in the open transaction of lane `lane` (1..):
   * takes a shared lock on the owner's checkpoint row (waits for a concurrent claim), checks the
   * fence, writes the lane's position in the lane table. False: fenced. Lane 0 uses `write`.
   */
  writeLane(c: C, owner: Owner, fence: number, lane: number, position: string): Promise<boolean>;
  /** The committed positions of lanes 1.. (lane -> position); empty when the task never ran with lanes. */
  lanePositions(c: C, owner: Owner): Promise<Map<number, string | null>>;
  /** Deletes the rows of lanes `from` and above (the task runs with fewer lanes now). */
  dropLanes(c: C, owner: Owner, from: number): Promise<void>;
  insertDirty(c: C, owner: Owner, dirty: StoredDirtyRecord): Promise<void>;
  /**
   * Deletes the owner's checkpoint and dirty records in one transaction; missing tables are fine.
   * With `tombstone`: the checkpoint row is kept (created if missing) with no position and a fence
   * of at least `tombstone`, so no older owner can claim or commit again.
   */
  discard(c: C, owner: Owner, tombstone?: number): Promise<void>;
  /**
   * The stored fence, read under a row lock in its own short transaction (null: no row). Targets
   * whose DDL commits implicitly check it right before each DDL statement (MySQL); undefined where
   * DDL runs inside the fenced transaction.
   */
  fenceOf?(c: C, owner: Owner): Promise<number | null>;
  /** Where the dirty records are, for messages (e.g. `opendi.dirty_record in database "dst"`). */
  readonly dirtyTable: string;
}

/** A session holding a lock another session waits for (raise-fence.ts). */
export interface LockHolder {
  /** The server's id of the session (PostgreSQL pid, MySQL connection id). */
  id: number;
  /** Its connection name (application_name / program_name); null: it has none, or the server cannot tell. */
  name: string | null;
  user: string | null;
  /** In an open transaction with no statement running, for `idleMs` (null: unknown). */
  idle: boolean;
  idleMs: number | null;
  /** Its state as the server shows it, for messages. */
  state: string;
}

/**
 * What the forced path's fence raise (raise-fence.ts) asks of a target about other sessions. Every
 * call runs on a session of its own (not the one waiting) and is bounded by the dialect.
 */
export interface SessionControl<C> {
  /** The server's id of session `c`. */
  sessionId(c: C): Promise<number>;
  /**
   * The sessions session `waiter` waits for right now (empty when it waits for none). `named`
   * false: the server cannot show connection names (MySQL with performance_schema off).
   */
  blockers(c: C, waiter: number): Promise<{ holders: LockHolder[]; named: boolean }>;
  /** Ends session `id` (its open transaction rolls back); rejects when the server refuses. */
  endSession(c: C, id: number): Promise<void>;
}

export interface SinkDialect<C, T extends PreparedTable> {
  readonly transactionalDdl: boolean;
  readonly checkpoint: CheckpointStore<C>;
  readonly sessions: SessionControl<C>;
  readonly beginStatement: string;
  /** `onError` hears errors the connection reports between statements. */
  /** `signal` aborted: the caller gave up waiting (src/engine/connection-pool.ts); destroy the half-open session. */
  connect(onError: (err: Error) => void, signal?: AbortSignal): Promise<C>;
  exec(c: C, sql: string): Promise<void>;
  /** Graceful close. */
  end(c: C): Promise<void>;
  /** Drops the socket: the server aborts the open transaction. */
  destroy(c: C): void;
  /** The error was caused by a row's data (constraint, range, encoding, invalid value). */
  isDataError(err: unknown): boolean;
  /**
   * A permanent error (privilege, missing database, bad identifier): retrying cannot fix it. The
   * message says what to do (the GRANT that fixes it); null for transient or unknown errors.
   */
  permanentError(err: unknown): string | null;
  /**
   * Resolves `relation` to `target`, creating the table from `describe()` when it is missing.
   * `inTransaction`: a transaction is open (a dialect without transactional DDL must not commit it).
   * MissingTargetColumnsError when the target lacks columns of the relation.
   */
  prepareTable(c: C, relation: RelationInfo, target: TargetName, describe: () => Promise<TableSchema>, inTransaction: boolean): Promise<{ table: T; ddl: DdlOutcome | null }>;
  /** `renamed`: RENAMETABLE's new target name. */
  applySchemaChange(c: C, change: SchemaChange, target: TargetName, renamed: TargetName | undefined, describe: () => Promise<TableSchema>): Promise<DdlOutcome>;
  /** Empties the tables inside the open transaction; resolves to the statements run. */
  truncate(c: C, targets: TargetName[]): Promise<string[]>;
  /**
   * Builds the statements of `rows` now, without a session (the CPU part of a chunk: the sink does
   * it while the target still runs the previous chunk, checkpointed-sink.ts); the returned step
   * sends them on `c` through the guard. `laned`: the step will run on one lane of several
   * (laned-sink.ts), whose open transaction waits for the task's commit; no statement may then
   * wait on rows outside the lane's own keys (a sibling lane may hold them, and would wait for this one).
   */
  planRows(table: T, rows: Iterable<FinalRow>, laned: boolean): RowsPlan<C>;
  /** One UPDATE moving a row's key with its stored values; resolves to the rows matched. */
  applyMove(c: C, table: T, move: Move): Promise<number>;
}
