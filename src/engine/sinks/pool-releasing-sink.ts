/** A sink using a shared target pool lets go of the pool when it closes or is destroyed (target-pools.ts). */
import type { RelationInfo, RowChange, SchemaChange } from '../change-event.ts';
import type { ChangeSink, Claim, DirtyRecord, DirtyRecordsKept, LaneControl, TargetDdl } from '../change-sink.ts';
import type { TableSchema } from '../table-schema.ts';

export class PoolReleasingSink implements ChangeSink {
  constructor(private readonly inner: ChangeSink, private readonly release: () => void) {}

  get transactionalDdl(): boolean { return this.inner.transactionalDdl; }
  get lanesControl(): LaneControl | undefined { return this.inner.lanesControl; }
  claim(fence: number): Promise<Claim> { return this.inner.claim(fence); }
  prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<TargetDdl | null> { return this.inner.prepareTable(relation, describe); }
  apply(changes: RowChange[]): Promise<DirtyRecord[]> { return this.inner.apply(changes); }
  applySchemaChange(change: SchemaChange, describe: () => Promise<TableSchema>): Promise<TargetDdl> { return this.inner.applySchemaChange(change, describe); }
  truncate(relations: RelationInfo[]): Promise<string[]> { return this.inner.truncate(relations); }
  commit(position: string, settled?: Promise<unknown>): Promise<void> { return this.inner.commit(position, settled); }
  rollback(): Promise<void> { return this.inner.rollback(); }
  dirtyRecords(): DirtyRecordsKept { return this.inner.dirtyRecords(); }
  discardCheckpoint(tombstone?: number): Promise<void> { return this.inner.discardCheckpoint(tombstone); }
  async close(): Promise<void> { try { await this.inner.close(); } finally { this.release(); } }
  async destroy(): Promise<void> { try { await this.inner.destroy(); } finally { this.release(); } }
}
