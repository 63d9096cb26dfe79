/**
 * The source port (docs/design.md section 4).
 *
 * Contract:
 * - `prepare` creates or checks the source-side resources (PostgreSQL: publication + durable slot).
 *   With `mustExist` (the task ran before) a missing resource is an UnrecoverableError naming
 *   `position`; it is never silently recreated, since the changes since `position` are gone.
 * - `open(position)` starts streaming after `position` (null: from the source's own bookmark).
 *   Events come in commit order as whole transactions: `begin`, any number of `change` /
 *   `truncate`, `commit{position}`. A transaction whose commit is at or before `position` is never
 *   delivered (a resume replays whole transactions only).
 * - Memory is bounded: the source buffers a bounded number of events and stops reading from the
 *   server while the consumer lags (backpressure), whatever the size of a transaction.
 * - `acknowledge(position)` is only ever called with positions the target has committed; only then
 *   may the source release what precedes them (PostgreSQL: the slot's flush LSN).
 * - `caughtUpPosition()`: when every delivered event has been consumed and the consumer has
 *   committed all of them, a position past everything the server has sent (it may include
 *   transactions that touch nothing we publish). Committing it as the checkpoint and then
 *   acknowledging it is safe and keeps an idle task from pinning the server's log.
 * - `close(deadline)` is graceful: final acknowledgement, replication connection closed, and it
 *   waits until the server has released the stream; past `deadline` (epoch ms) it forces the
 *   server side down and returns true. `destroy()` tears everything down at once.
 * - Initial load: `headPosition()` after `prepare` is a position such that streaming from it
 *   delivers every transaction that commits after the call; `readChunk` then reads the current
 *   rows of one table in primary-key order, without locking the table. Rows copied this way and
 *   replayed from that position converge to the source (replay is idempotent per key).
 * - Schema changes of the task's tables come as `ddl` events (change-event.ts); DDL on other
 *   tables never shows.
 */
import type { ColumnValue, RelationInfo, SourceEvent } from './change-event.ts';
import type { TableSchema } from './table-schema.ts';

export type { TableSchema } from './table-schema.ts';

export interface TableRef { schema: string; table: string }

/**
 * The source's own view of the server's progress, so that a silent or still-decoding source never
 * looks caught up (a frozen walsender or dump thread, a large committed transaction the server is
 * still decoding): the pipeline counts as caught up only when the last read found nothing, the
 * server was heard from recently, and it has reported nothing beyond what was delivered.
 *
 * A source that implements it hears from a healthy server at least once a second while streaming,
 * idle or not (PostgreSQL: keepalive answers to our status pings; MySQL: binlog heartbeats), so
 * "recently" can be a few seconds (caught-up.ts, HEARD_RECENTLY_MS). A source that stays silent
 * much longer than that fails with a recoverable error that names the stall (the runner
 * reconnects) and reports a `warning` event with code SOURCE_STALLED.
 */
export interface SourceClock {
  /** When the server was last heard from (data, keepalive or heartbeat); null before its first message. */
  lastHeardAt: Date | null;
  /** The server has reported log (WAL end, binlog position) beyond the last commit delivered to the consumer. */
  serverAhead: boolean;
}

export interface ChangeSource {
  prepare(resume: { position: string | null; mustExist: boolean }): Promise<{ created: boolean }>;
  open(position: string | null): Promise<void>;
  /**
   * The next event; `idle` when there is none: at once the first time the source has run dry after
   * delivering events (what was received is all consumed: the pipeline commits it then, not after a
   * timer), else after `idleMs` without one; `end` as soon as `requestEnd` was called.
   */
  next(idleMs: number): Promise<SourceEvent>;
  requestEnd(): void;
  acknowledge(position: string): void;
  caughtUpPosition(): string | null;
  /** See SourceClock. */
  clock?(): SourceClock;
  /** The table's columns as the source declares them (to create a missing target table). */
  describeTable(relation: RelationInfo): Promise<TableSchema>;
  /** See the initial-load rule above. Null when the source has no position yet (use the resource's own bookmark). */
  headPosition(): Promise<string | null>;
  /**
   * Up to `limit` rows of `table` whose primary key is greater than `afterKey` (null: from the
   * first), in primary-key order; `afterKey` holds the values of the relation's `isKey` columns in
   * the relation's column order (the pipeline takes them from the last row of the previous chunk), with the relation that describes them (same identity rule as
   * streamed relations). Fewer than `limit` rows: the table is done.
   */
  /**
   * Optional, for sources that cannot see table creation in their stream (PostgreSQL): tables the
   * task selects (`selects` of its spec) that exist now and are not yet the task's, each made part
   * of the stream before it is returned (publication), so its changes from then on arrive. The
   * pipeline copies their rows (docs: README, "The 2024-05-18 DI Job API").
   */
  discoverTables?(): Promise<TableRef[]>;
  /** Optional: the position of the first transaction committed at or after `time` (StartParam.startPosition.timestamp). */
  positionAt?(time: Date): Promise<string>;
  readChunk(table: TableRef, afterKey: ColumnValue[] | null, limit: number): Promise<{ relation: RelationInfo; rows: ColumnValue[][] }>;
  close(deadline: number): Promise<{ forced: boolean }>;
  destroy(): Promise<void>;
}
