/**
 * The sink port (design.md section 4). Rows of whole source transactions and the task's
 * checkpoint (source position + fence) commit in ONE target transaction. `claim` makes this
 * owner the task's current one: from then on, commits of owners with a lower fence fail.
 */
import type { RelationInfo, RowChange } from './change-event.ts';
import type { TableSchema } from './change-source.ts';

export interface ChangeSink {
  /** Claims the task with `fence`; returns the committed source position, or null. */
  claim(fence: number): Promise<string | null>;
  /** Makes sure the target table exists (created from the source schema when missing). */
  prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<void>;
  /** Applies row changes inside the open target transaction (opened on demand). */
  apply(changes: RowChange[]): Promise<void>;
  truncate(relations: RelationInfo[]): Promise<void>;
  /** Writes the checkpoint and commits; FencedError when a newer owner has claimed the task. */
  commit(position: string): Promise<void>;
  rollback(): Promise<void>;
  /** Deletes the task's checkpoint (TerminateDISyncInstance). */
  discardCheckpoint(): Promise<void>;
  close(): Promise<void>;
  destroy(): Promise<void>;
}
