/**
 * Parallel apply (docs/target-checkpoint.md "Lanes"; the task's `runtime.realtime.concurrent`):
 * N checkpointed sinks ("lanes"), each with its own target connection and its own checkpoint row
 * committed in the same transaction as its rows. Row changes are routed by a hash of the table and
 * primary key (lane-routing.ts), so the changes of one key keep their order in one lane; the
 * changes of a table with a unique index besides its primary key go whole to one lane, and those
 * of tables tied by enforced foreign keys all to lane 0, since their order across keys (and
 * tables) matters there. The lanes apply each chunk at the same time and all
 * commit at every commit of the task. One source transaction can therefore become visible at the
 * target in parts (one part per lane).
 *
 * Exactly-once: lane 0 holds the task's checkpoint row and its fence; lanes 1.. check that fence
 * under a shared row lock when they commit, so a stale owner's lanes commit nothing. A restart
 * replays from the lowest lane position; a lane whose position is higher discards, under a
 * savepoint, every replayed source transaction it had committed (lane-positions.ts).
 *
 * DDL with lanes: the pipeline commits every lane first (a barrier) and the sink reports
 * non-transactional DDL, so a schema change runs on lane 0 outside any transaction and the others
 * re-read the tables it touched; a target table is created on a session of its own. A source
 * transaction with a TRUNCATE runs whole on lane 0 after a barrier (`serialize`), and the task
 * commits right after it.
 */
import type { Logger } from '../../logger.ts';
import type { RelationInfo, RowChange, SchemaChange } from '../change-event.ts';
import type { ChangeSink, Claim, DirtyRecord, DirtyRecordsKept, LaneControl, TargetDdl } from '../change-sink.ts';
import type { TableSchema } from '../table-schema.ts';
import type { CheckpointedSink } from './checkpointed-sink.ts';
import { routeChanges } from './lane-routing.ts';
import { LanePositions, lowestOf, type PositionOrder } from './lane-positions.ts';
import type { PreparedTable } from './sink-dialect.ts';

export class LanedSink implements ChangeSink, LaneControl {
  readonly transactionalDdl = false;
  private positions: LanePositions | undefined;
  /** Lanes holding the catch-up savepoint of the replayed source transaction. */
  private readonly marked = new Set<number>();
  private serialTxn = false;

  constructor(private readonly lanes: CheckpointedSink<unknown, PreparedTable>[], private readonly order: PositionOrder, private readonly logger: Logger) {}

  get count(): number { return this.lanes.length; }
  get lanesControl(): LaneControl { return this; }
  get serial(): boolean { return this.serialTxn; }

  async claim(fence: number): Promise<Claim> {
    const first = await this.lanes[0].claim(fence);
    const stored = await this.lanes[0].lanePositions();
    for (const lane of this.lanes.slice(1)) lane.adopt(fence);
    const positions = this.lanes.map((_, i) => (i === 0 ? first.position : stored.has(i) ? stored.get(i)! : first.position));
    this.positions = new LanePositions(this.order, positions);
    const low = this.positions.lowest();
    const beyond = [...stored].filter(([lane]) => lane >= this.lanes.length);
    if (beyond.length > 0) {
      // An earlier run had more lanes: the resume position is the lowest of all of them (nothing skipped);
      // after a crash, rows of its lanes that were ahead are applied again (idempotent per key).
      const all = [low, ...beyond.map(([, p]) => p)];
      const lowest = lowestOf(this.order, all);
      if (all.some((p) => p !== lowest)) this.logger.warn('an earlier run with more lanes stopped at different positions; resuming from the lowest', { from: lowest });
      this.positions = new LanePositions(this.order, this.lanes.map(() => lowest));
      // Every remaining lane moves to the lowest first, so a crash now cannot skip anything.
      if (lowest !== null) await this.commit(lowest);
      await this.lanes[0].dropLaneRows(this.lanes.length);
      return { position: lowest, dirtyRecords: first.dirtyRecords };
    }
    if (this.positions.catchingUp()) {
      this.logger.info('lanes resume at different positions; the lanes ahead skip what they applied', { lowest: low, highest: this.positions.highest() });
    }
    return { position: low, dirtyRecords: first.dirtyRecords };
  }

  async prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<TargetDdl | null> {
    // The source table is described once for every lane (each lane still reads its target's table).
    let described: Promise<TableSchema> | undefined;
    const once = () => (described ??= describe());
    const ddl = await this.lanes[0].prepareTable(relation, once);
    await this.all(this.lanes.slice(1).map((lane) => lane.prepareTable(relation, once)));
    return ddl;
  }

  async apply(changes: RowChange[]): Promise<DirtyRecord[]> {
    const parts = routeChanges(changes, this.lanes.length, this.serialTxn, (r) => this.lanes[0].coupling(r));
    const dirty = await this.all(parts.map((part, i) => {
      if (part.length === 0) return Promise.resolve([]);
      const marking = this.markIfAhead(i);
      // With no savepoint to set (always, outside catch-up), the lane's apply is called right now, so each
      // lane gets overlapping applies in their call order (change-sink.ts).
      return marking ? marking.then(() => this.lanes[i].apply(part)) : this.lanes[i].apply(part);
    }));
    return dirty.flat();
  }

  async applySchemaChange(change: SchemaChange, describe: () => Promise<TableSchema>): Promise<TargetDdl> {
    return this.lanes[0].applySchemaChange(change, describe);
  }

  async truncate(relations: RelationInfo[]): Promise<string[]> {
    if (!this.serialTxn) throw new Error('truncate with lanes needs serialize() first (a barrier, then the transaction on lane 0)');
    await this.markIfAhead(0);
    return this.lanes[0].truncate(relations);
  }

  /** Every lane's commit is queued now, in call order (change-sink.ts): the applies called after it belong to the next transaction. */
  async commit(position: string, settled?: Promise<unknown>): Promise<void> {
    const positions = this.positions!;
    this.marked.clear();
    this.serialTxn = false;
    await this.all(this.lanes.map(async (lane, i) => {
      const p = positions.commitPosition(i, position);
      await lane.commit(p, settled);
      positions.committed(i, p);
    }));
  }

  async rollback(): Promise<void> {
    this.marked.clear();
    this.serialTxn = false;
    await this.all(this.lanes.map((lane) => lane.rollback()));
  }

  catchingUp(): boolean {
    return this.positions?.catchingUp() ?? false;
  }

  async transactionEnd(position: string): Promise<void> {
    if (!this.positions?.catchingUp()) return;
    const discard = this.positions.transactionEnd(position);
    const marked = [...this.marked];
    this.marked.clear();
    await this.all(marked.map((i) => this.lanes[i].endSavepoint(discard[i])));
  }

  restartAt(position: string): void {
    this.positions = new LanePositions(this.order, this.lanes.map(() => position));
  }

  serialize(): void {
    this.serialTxn = true;
  }

  dirtyRecords(): DirtyRecordsKept {
    const each = this.lanes.map((lane) => lane.dirtyRecords());
    return { kept: each.reduce((n, d) => n + d.kept, 0), pending: each.reduce((n, d) => n + d.pending, 0), where: each[0].where };
  }

  discardCheckpoint(tombstone?: number): Promise<void> {
    return this.lanes[0].discardCheckpoint(tombstone);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.lanes.map((lane) => lane.close()));
  }

  async destroy(): Promise<void> {
    await Promise.allSettled(this.lanes.map((lane) => lane.destroy()));
  }

  /** The lane's savepoint being set, or undefined when it needs none. */
  private markIfAhead(lane: number): Promise<void> | undefined {
    if (!this.positions?.ahead(lane) || this.marked.has(lane)) return undefined;
    this.marked.add(lane);
    return this.lanes[lane].savepoint();
  }

  /** Waits for every lane (none is left running on its connection), then rejects with the first failure. */
  private async all<R>(work: Promise<R>[]): Promise<R[]> {
    const settled = await Promise.allSettled(work);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
  }
}
