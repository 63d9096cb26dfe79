/**
 * The sink port (design.md section 4).
 *
 * Contract:
 * - `claim(fence)` makes this owner the task's current one and returns the committed source
 *   position (null: none yet). The fence is the owner's integer epoch; it only grows. From then on
 *   every commit of an owner with a lower fence fails with FencedError, and so does a claim with a
 *   fence not above the stored one.
 * - `apply` / `truncate` write into one open target transaction (opened on demand); changes come
 *   in source order, a transaction possibly split over several calls.
 * - `commit(position)` writes the checkpoint row (task, position, fence) and commits it together
 *   with everything applied since the last commit: ONE target transaction, called only at a source
 *   transaction boundary. FencedError (nothing committed) when a newer owner has claimed the task.
 * - `rollback()` discards the open transaction (its source transactions are replayed on resume).
 */
import type { RelationInfo, RowChange } from './change-event.ts';
import type { TableSchema } from './change-source.ts';

export interface ChangeSink {
  claim(fence: number): Promise<string | null>;
  /** Makes sure the target table exists and fits (created from `describe()` when missing). */
  prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<void>;
  apply(changes: RowChange[]): Promise<void>;
  truncate(relations: RelationInfo[]): Promise<void>;
  commit(position: string): Promise<void>;
  rollback(): Promise<void>;
  /** Deletes the task's checkpoint (TerminateDISyncInstance). */
  discardCheckpoint(): Promise<void>;
  close(): Promise<void>;
  /** Immediate teardown: the open transaction dies with the connection. */
  destroy(): Promise<void>;
}
