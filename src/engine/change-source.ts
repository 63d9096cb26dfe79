/**
 * The source port. A source delivers whole transactions in commit order, starting after a given
 * position, and never one whose commit is at or before it (a resume replays whole transactions
 * only). `acknowledge` is only ever called with positions the target has committed; the source
 * may then release what precedes them (PostgreSQL: slot flush LSN). Backpressure: the source
 * buffers a bounded number of events and stops reading while the consumer lags.
 */
import type { RelationInfo, SourceEvent } from './change-event.ts';

export interface TableSchema { columns: { name: string; type: string; notNull: boolean; isKey: boolean }[] }

export interface ChangeSource {
  /** Creates or checks source-side resources; says whether it created them now. */
  prepare(mustExist: boolean): Promise<{ created: boolean }>;
  /** Starts streaming after `position` (null: from where the source's own bookmark stands). */
  open(position: string | null): Promise<void>;
  /** The next event; `idle` after `idleMs` without one; `end` once `requestEnd` was called. */
  next(idleMs: number): Promise<SourceEvent>;
  /** Makes `next` return `end` as soon as possible. */
  requestEnd(): void;
  acknowledge(position: string): void;
  describeTable(relation: RelationInfo): Promise<TableSchema>;
  /** Graceful close: final acknowledgement, replication connection closed, server side released. */
  close(timeoutMs: number): Promise<void>;
  /** Immediate teardown, for forced stops and failures. */
  destroy(): Promise<void>;
}
