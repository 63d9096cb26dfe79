/**
 * The source port (design.md section 4).
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
 */
import type { RelationInfo, SourceEvent } from './change-event.ts';

export interface TableSchema { columns: { name: string; type: string; notNull: boolean; isKey: boolean }[] }

export interface ChangeSource {
  prepare(resume: { position: string | null; mustExist: boolean }): Promise<{ created: boolean }>;
  open(position: string | null): Promise<void>;
  /** The next event; `idle` after `idleMs` without one; `end` as soon as `requestEnd` was called. */
  next(idleMs: number): Promise<SourceEvent>;
  requestEnd(): void;
  acknowledge(position: string): void;
  caughtUpPosition(): string | null;
  /** The table's columns as the source declares them (to create a missing target table). */
  describeTable(relation: RelationInfo): Promise<TableSchema>;
  close(deadline: number): Promise<{ forced: boolean }>;
  destroy(): Promise<void>;
}
