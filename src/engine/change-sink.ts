/**
 * The sink port (docs/design.md section 4).
 *
 * Contract:
 * - `claim(fence)` makes this owner the task's current one and returns the committed source
 *   position (null: none yet). The fence is the owner's integer epoch; it only grows. From then on
 *   every commit of an owner with a lower fence fails with FencedError, and so does a claim with a
 *   fence not above the stored one. The checkpoint row belongs to (installation, task): another
 *   installation's task of the same id is another row (docs/target-checkpoint.md).
 * - `apply` / `truncate` write into one open target transaction (opened on demand); changes come
 *   in source order, a transaction possibly split over several calls.
 * - `apply` may be called again before the previous call resolved (the sink builds the next
 *   chunk's statements while the target applies this one; never while lanes catch up). The sink
 *   applies the calls in call order, one after the other on its session; a call whose
 *   predecessor failed fails too and writes nothing, until `rollback`. Every other method except
 *   `commit` and `destroy` (which tears down whatever runs) is called only after every `apply`
 *   before it has settled.
 * - `commit(position, settled?)` writes the checkpoint row (task, position, fence) and commits it
 *   together with everything applied since the last commit: ONE target transaction, called only at
 *   a source transaction boundary. FencedError (nothing committed) when a newer owner has claimed
 *   the task. Given `settled` (resolves once every `apply` before it succeeded, wherever it failed),
 *   commit may be called before those applies settled: it runs after them in call order, commits
 *   nothing unless `settled` resolves, and the applies called after it go into the next
 *   transaction. Without `settled`, every apply before it has settled.
 * - `rollback()` discards the open transaction (its source transactions are replayed on resume).
 * - Dirty records: a row the target rejects for its data (constraint, overflow, bad encoding,
 *   invalid value) does not fail `apply`; it is skipped, written with its error to the target's
 *   dirty-record table in the same open transaction, and returned, while the other rows of the
 *   call are applied. Other errors (connection, missing table, ...) reject as before.
 * - `applySchemaChange` applies a schema change of a task table to its target table, idempotently
 *   (a replay after a crash must not fail), in the open transaction where the target's DDL is
 *   transactional; `describe` gives the source table's current columns. It reports the target
 *   statements it ran and what it could not reproduce exactly (`prepareTable` too, when it
 *   created the table): never a silent divergence.
 * - Errors: a permanent target problem (privilege, missing database, bad identifier) rejects with
 *   an UnrecoverableError saying what fixes it; other errors are plain (the task retries).
 * - Target names: a sink writes source table schema.table into `<targetSchema>.table` when it was
 *   given a target schema (MySQL: the target database), else into the same schema.table.
 */
import type { RelationInfo, RowChange, SchemaChange } from './change-event.ts';
import type { TableSchema } from './table-schema.ts';

/** One rejected row: which table, which key, what the target said (values stay in the target's dirty table). */
export interface DirtyRecord { table: string; op: 'upsert' | 'update' | 'delete'; key: string; error: string }

/** DDL a sink ran at the target (`tables`: schema.table of the target tables it touched), and what it could not reproduce exactly. */
export interface TargetDdl { statements: string[]; warnings: string[]; tables: string[] }

/** Dirty records of the task: committed in the target (`kept`), rejected in the open transaction (`pending`). */
export interface DirtyRecordsKept { kept: number; pending: number; where: string }

export interface Claim {
  position: string | null;
  /** Dirty records the task has accumulated so far (kept in the target). */
  dirtyRecords: number;
}

/**
 * What a sink that applies in parallel lanes needs from the pipeline (sinks/laned-sink.ts):
 * - while `catchingUp()` (after a restart, some lane is ahead of the replay), the pipeline hands
 *   over each replayed source transaction whole and then calls `transactionEnd(its position)`;
 * - a source transaction with a TRUNCATE: the pipeline commits everything before it (a barrier),
 *   calls `serialize()`, gives the transaction, and commits right at its end (`serial` is true
 *   until that commit).
 */
export interface LaneControl {
  readonly count: number;
  readonly serial: boolean;
  catchingUp(): boolean;
  transactionEnd(position: string): Promise<void>;
  serialize(): void;
  /** StartParam's chosen start: every lane starts over from `position` (committed next). */
  restartAt(position: string): void;
}

export interface ChangeSink {
  /** Present when the sink applies in more than one lane. */
  readonly lanesControl?: LaneControl;
  /** DDL commits with the open transaction (PostgreSQL); false: it commits implicitly (MySQL). */
  readonly transactionalDdl: boolean;
  claim(fence: number): Promise<Claim>;
  /** Makes sure the target table exists and fits (created from `describe()` when missing: then the DDL run). */
  prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<TargetDdl | null>;
  apply(changes: RowChange[]): Promise<DirtyRecord[]>;
  applySchemaChange(change: SchemaChange, describe: () => Promise<TableSchema>): Promise<TargetDdl>;
  /** Resolves to the statements run. */
  truncate(relations: RelationInfo[]): Promise<string[]>;
  commit(position: string, settled?: Promise<unknown>): Promise<void>;
  rollback(): Promise<void>;
  /** How many dirty records are committed and pending, and where they are kept (messages). */
  dirtyRecords(): DirtyRecordsKept;
  /**
   * Deletes the task's checkpoint and dirty records (TerminateDISyncInstance). With `tombstone`
   * (a fence, cluster mode) the checkpoint row stays with no position and at least that fence, so
   * a fenced-out owner's late claim or commit cannot bring the checkpoint back.
   */
  discardCheckpoint(tombstone?: number): Promise<void>;
  close(): Promise<void>;
  /** Immediate teardown: the open transaction dies with the connection. */
  destroy(): Promise<void>;
}
