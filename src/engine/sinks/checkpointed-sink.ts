/**
 * The sink of every target, written once (the ChangeSink contract of change-sink.ts; the protocol
 * in docs/target-checkpoint.md): rows are applied inside one open target transaction that commits
 * together with the task's checkpoint row; `claim` raises the row's fence so a stale owner's
 * commit finds a newer fence and commits nothing; rows the target rejects for their data are set
 * aside as dirty records in the same transaction (row-guard.ts). What differs per database is the
 * dialect (sink-dialect.ts).
 */
import type { Logger } from '../../logger.ts';
import type { RelationInfo, RowChange, SchemaChange } from '../change-event.ts';
import type { ChangeSink, Claim, DirtyRecord, DirtyRecordsKept, TargetDdl } from '../change-sink.ts';
import type { TableSchema } from '../table-schema.ts';
import { FencedError, UnrecoverableError } from '../errors.ts';
import { Coalescer, type Move } from './coalesce-changes.ts';
import { createRowGuard } from './row-guard.ts';
import type { Coupling, DdlOutcome, Owner, PreparedTable, RowGuard, RowsPlan, SinkDialect, TargetName } from './sink-dialect.ts';
import type { PooledConnections } from '../connection-pool.ts';
import { lowestOf, type PositionOrder } from './lane-positions.ts';

interface Prepared<T> { table: T; generation: string }

/** A run of folded rows with its statements built (planRows), or a key move sent on its own. */
type Segment<C> = { rows: RowsPlan<C> } | { move: Move };
interface Staged<C, T> { table: T; segments: Segment<C>[] }

/** A lane of a task that applies in parallel (laned-sink.ts); absent: the task's only sink. */
export interface LaneOptions {
  /** 0 writes the task's checkpoint row; 1.. their own lane rows (docs/target-checkpoint.md "Lanes"). */
  lane: number;
  /** Schema changes the sink applies run outside a transaction (lanes never hold DDL locks the others would wait for). */
  ddlOutsideTransaction: boolean;
  /** Target tables a schema change of this lane made stale: the other lanes re-read them. */
  onTouched?(tables: TargetName[]): void;
}

/** Where the sink's connection comes from: its own (absent), or a shared pool it returns it to between transactions. */
export interface SinkOptions {
  lane?: LaneOptions;
  /** Orders positions: a task's only sink resumes from the lowest row an earlier run with lanes left. */
  order?: PositionOrder;
  pool?: PooledConnections<unknown>;
}

export class CheckpointedSink<C, T extends PreparedTable> implements ChangeSink {
  readonly transactionalDdl: boolean;
  private client: C | undefined;
  private fence = 0;
  private inTransaction = false;
  private closing = false;
  /** Dirty records committed in the target / set aside in the open transaction. */
  private kept = 0;
  private pending = 0;
  private readonly tables = new WeakMap<RelationInfo, Prepared<T>>();
  /** Bumped per target table by schema changes: prepared info of an older generation is re-read. */
  private readonly generations = new Map<string, number>();
  /** Bumped by a rollback where DDL is transactional: a table created in it is gone again. */
  private rollbacks = 0;
  /** Dirty records pending when the catch-up savepoint was set (laned-sink.ts). */
  private pendingAtSavepoint = 0;
  /** The last apply handed over, settled or not: the next one sends its statements after it. */
  private applying: Promise<unknown> = Promise.resolve();

  /** `targetSchema`: where every table goes (MySQL: the database); null keeps each table's source schema. */
  constructor(
    private readonly d: SinkDialect<C, T>, private readonly owner: Owner, private readonly targetSchema: string | null,
    private readonly logger: Logger, options: SinkOptions = {},
  ) {
    this.laneOptions = options.lane;
    this.order = options.order;
    this.pool = options.pool as PooledConnections<C> | undefined;
    this.transactionalDdl = d.transactionalDdl && !this.laneOptions?.ddlOutsideTransaction;
  }

  private readonly laneOptions: LaneOptions | undefined;
  private readonly order: PositionOrder | undefined;
  /** A shared pool: the connection is held for a transaction (or one operation) only. */
  private readonly pool: PooledConnections<C> | undefined;

  /** A lane other than 0 of an owner whose lane 0 has claimed the task with `fence`. */
  adopt(fence: number): void {
    this.fence = fence;
  }

  /**
   * A task that ran with lanes and now runs with one: it resumes from the lowest lane position
   * (written to the task's row first, so nothing is skipped if it crashes now), and the lane rows go.
   * After a Stop every lane is at one position; after a crash, rows of the lanes that were ahead
   * are applied again (idempotent per key), which is logged.
   */
  private async takeOverLanes(c: C, position: string | null, order: PositionOrder): Promise<string | null> {
    const lanes = await this.d.checkpoint.lanePositions(c, this.owner);
    if (lanes.size === 0) return position;
    const all = [position, ...lanes.values()];
    const low = lowestOf(order, all);
    if (all.some((p) => p !== low)) {
      this.logger.warn('the task ran with lanes that stopped at different positions; resuming from the lowest, rows of the lanes ahead are applied again', { from: low });
    }
    if (low !== position && low !== null) {
      await this.d.exec(c, this.d.beginStatement);
      const ok = await this.d.checkpoint.write(c, this.owner, this.fence, low);
      await this.d.exec(c, ok ? 'COMMIT' : 'ROLLBACK');
      if (!ok) throw new FencedError(`task ${this.owner.taskId}: a newer owner has claimed the task (fence > ${this.fence})`);
    }
    await this.d.checkpoint.dropLanes(c, this.owner, 1);
    return low;
  }

  /** Rows of lanes `from` and above go (the task runs with fewer lanes now). */
  dropLaneRows(from: number): Promise<void> {
    return this.guarded(async () => this.d.checkpoint.dropLanes(await this.connection(), this.owner, from));
  }

  /** The committed positions of lanes 1.. (lane -> position). */
  lanePositions(): Promise<Map<number, string | null>> {
    return this.guarded(async () => this.d.checkpoint.lanePositions(await this.connection(), this.owner));
  }

  /** Catch-up after a restart (laned-sink.ts): marks where the replayed source transaction began in the open transaction. */
  savepoint(): Promise<void> {
    return this.guarded(async () => {
      await this.d.exec(await this.begin(), 'SAVEPOINT opendi_lane_replay');
      this.pendingAtSavepoint = this.pending;
    });
  }

  /** Ends the replayed transaction: `discard` undoes what it applied here (this lane had committed it before). */
  endSavepoint(discard: boolean): Promise<void> {
    return this.guarded(async () => {
      const c = await this.connection();
      if (discard) {
        await this.d.exec(c, 'ROLLBACK TO SAVEPOINT opendi_lane_replay');
        this.pending = this.pendingAtSavepoint;
      }
      await this.d.exec(c, 'RELEASE SAVEPOINT opendi_lane_replay');
    });
  }

  /** How the relation's target table couples rows of different keys (PreparedTable.coupling; 'none': not prepared here). */
  coupling(relation: RelationInfo): Coupling {
    return this.tables.get(relation)?.table.coupling ?? 'none';
  }

  /** Another lane changed these target tables: prepared info of them is re-read. */
  forget(tables: TargetName[]): void {
    for (const t of tables) this.generations.set(keyOf(t), (this.generations.get(keyOf(t)) ?? 0) + 1);
  }

  claim(fence: number): Promise<Claim> {
    return this.guarded(async () => {
      // Roll back first: with a shared pool the rollback hands the transaction's connection back.
      await this.rollback();
      const c = await this.connection();
      await this.d.checkpoint.ensureTables(c, this.owner);
      const claimed = await this.d.checkpoint.claim(c, this.owner, fence);
      if (claimed === 'fenced') throw new FencedError(`task ${this.owner.taskId}: an owner with a fence >= ${fence} has claimed the task; this one stops`);
      this.fence = fence;
      this.kept = claimed.dirtyRecords;
      if (!this.laneOptions && this.order) return { ...claimed, position: await this.takeOverLanes(c, claimed.position, this.order) };
      return claimed;
    });
  }

  prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<TargetDdl | null> {
    const target = this.targetOf(relation);
    if (this.tables.get(relation)?.generation === this.generationOf(target)) return Promise.resolve(null);
    return this.guarded(async () => {
      const c = await this.connection();
      const generation = this.generationOf(target);
      const { table, ddl } = this.inTransaction && this.d.transactionalDdl && !this.transactionalDdl
        ? await this.onSideConnection((side) => this.d.prepareTable(side, relation, target, describe, false))
        : await this.d.prepareTable(c, relation, target, describe, this.inTransaction);
      this.tables.set(relation, { table, generation });
      if (!ddl || ddl.statements.length === 0) return null;
      this.logger.info('created target table', { table: table.label });
      return this.reported(ddl);
    });
  }

  /**
   * The chunk's statements are built at once (folded per key, their text made: stage), and sent
   * after every earlier apply of this sink has finished, in call order (ChangeSink: apply may be
   * called again before the previous one resolved). So the next chunk's CPU work overlaps the
   * target's work on the previous one, while the session still runs one chunk after the other.
   * An apply whose predecessor failed fails with it and sends nothing, until a rollback.
   */
  apply(changes: RowChange[]): Promise<DirtyRecord[]> {
    if (changes.length === 0) return Promise.resolve([]);
    let staged: Staged<C, T>[];
    try {
      staged = this.stage(changes);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queued(() => this.guarded(() => this.send(changes, staged)));
  }

  /**
   * `work` after every apply and commit handed over before it, in call order; its failure fails the
   * ones queued after it, until a rollback. Whoever called hears the failure; the chain only passes it on.
   */
  private queued<R>(work: () => Promise<R>): Promise<R> {
    const run = this.applying.then(work);
    this.applying = run;
    run.catch(() => undefined);
    return run;
  }

  /** Per table, in order of first appearance: its changes folded and planned (planRows), a key move ending a fold. */
  private stage(changes: RowChange[]): Staged<C, T>[] {
    return [...groupByRelation(changes)].map(([relation, list]) => {
      const table = this.tables.get(relation)?.table;
      if (!table) throw new Error(`table ${relation.schema}.${relation.table} was not prepared`);
      return { table, segments: this.fold(table, list) };
    });
  }

  /** One table's changes folded per key (coalesce-changes.ts), a key change ending a fold (it moves the stored row). */
  private fold(table: T, list: RowChange[]): Segment<C>[] {
    const laned = this.laneOptions !== undefined;
    const segments: Segment<C>[] = [];
    let folded = new Coalescer(table.keys);
    for (const ch of list) {
      const move = folded.add(ch);
      if (!move) continue;
      if (folded.size > 0) segments.push({ rows: this.d.planRows(table, folded.rows.values(), laned) });
      folded = new Coalescer(table.keys);
      segments.push({ move });
    }
    if (folded.size > 0) segments.push({ rows: this.d.planRows(table, folded.rows.values(), laned) });
    return segments;
  }

  private async send(changes: RowChange[], staged: Staged<C, T>[]): Promise<DirtyRecord[]> {
    const dirty: DirtyRecord[] = [];
    const c = await this.begin();
    const guardOf = (table: T) => createRowGuard(this.d, c, table, async (d) => {
      await this.d.checkpoint.insertDirty(c, this.owner, d);
      this.pending++;
      dirty.push(d.record);
    });
    const coupled = new Set(staged.filter((g) => g.table.coupling !== 'none').map((g) => g.table.label));
    if (coupled.size === 0) {
      for (const { table, segments } of staged) await this.sendSegments(c, table, segments, guardOf(table));
      return dirty;
    }
    // Folding per key, table by table, loses the order across keys and tables, which coupled tables may need
    // (a unique value moving between rows, a swap, a parent row before its children). When rows of such a
    // table are set aside, the changes get a second pass one by one in source order; only what the target
    // refuses in that order is set aside.
    const before = { dirty: dirty.length, pending: this.pending };
    await this.d.exec(c, 'SAVEPOINT opendi_in_order');
    for (const { table, segments } of staged) await this.sendSegments(c, table, segments, guardOf(table));
    if (dirty.slice(before.dirty).some((d) => coupled.has(d.table))) {
      await this.d.exec(c, 'ROLLBACK TO SAVEPOINT opendi_in_order');
      dirty.length = before.dirty;
      this.pending = before.pending;
      for (const ch of changes) {
        const table = this.tables.get(ch.relation)!.table;
        await this.sendSegments(c, table, this.fold(table, [ch]), guardOf(table));
      }
    }
    await this.d.exec(c, 'RELEASE SAVEPOINT opendi_in_order');
    return dirty;
  }

  private async sendSegments(c: C, table: T, segments: Segment<C>[], guard: RowGuard): Promise<void> {
    for (const segment of segments) {
      if ('rows' in segment) {
        await segment.rows(c, guard);
        continue;
      }
      let matched = -1;
      const moveRow = async () => { matched = await this.d.applyMove(c, table, segment.move); };
      await guard.statement('update', [segment.move.values], moveRow, moveRow);
      if (matched === 0) this.logger.warn('a key change found no target row to move; the target had diverged', { table: table.label });
    }
  }

  applySchemaChange(change: SchemaChange, describe: () => Promise<TableSchema>): Promise<TargetDdl> {
    if (!this.transactionalDdl && this.inTransaction) {
      return Promise.reject(new Error('applySchemaChange needs no open transaction: DDL commits implicitly at this target'));
    }
    return this.guarded(async () => {
      const run = (c: C) => this.d.applySchemaChange(c, change, this.targetOf(change), change.newTable && this.targetOf(change.newTable), describe);
      // A lane on a target with transactional DDL: the change commits on its own at once (no lane waits on its locks).
      const out = this.d.transactionalDdl && !this.transactionalDdl
        ? await this.onSideConnection(async (side) => {
          await this.d.exec(side, this.d.beginStatement);
          const r = await run(side);
          await this.d.exec(side, 'COMMIT');
          return r;
        })
        : await this.inPlaceDdl(run);
      this.forget(out.touched);
      this.laneOptions?.onTouched?.(out.touched);
      this.logger.info('applied a schema change to the target', { type: change.type, table: `${change.schema}.${change.table}`, statements: out.statements.length });
      return this.reported(out);
    });
  }

  truncate(relations: RelationInfo[]): Promise<string[]> {
    if (relations.length === 0) return Promise.resolve([]);
    return this.guarded(async () => this.d.truncate(await this.begin(), relations.map((r) => this.targetOf(r))));
  }

  /**
   * Queued behind every apply before it, like an apply, and run once `settled` (when given) has
   * resolved too: a failure there, or of an apply before it, fails the commit with nothing
   * committed, and the applies queued after it with it. The applies after it open the next
   * transaction. So the pipeline can hand over a batch's commit and go on with the next chunk.
   */
  commit(position: string, settled?: Promise<unknown>): Promise<void> {
    // Its failure is heard through the chain, once the applies before it are done.
    settled?.catch(() => undefined);
    return this.queued(async () => {
      await settled;
      await this.guarded(() => this.commitNow(position));
    });
  }

  private async commitNow(position: string): Promise<void> {
    const c = await this.begin();
    const lane = this.laneOptions?.lane ?? 0;
    const written = lane === 0
      ? await this.d.checkpoint.write(c, this.owner, this.fence, position)
      : await this.d.checkpoint.writeLane(c, this.owner, this.fence, lane, position);
    if (!written) {
      // Not rollback(): the applies queued after this commit must fail with it, not run in a new transaction.
      await this.endTransaction();
      throw new FencedError(`task ${this.owner.taskId}: a newer owner has claimed the task (fence > ${this.fence}); commit refused`);
    }
    await this.d.exec(c, 'COMMIT');
    this.inTransaction = false;
    this.kept += this.pending;
    this.pending = 0;
  }

  async rollback(): Promise<void> {
    // Everything applied is discarded with the transaction: a failed apply no longer fails the next ones.
    this.applying = Promise.resolve();
    await this.endTransaction();
  }

  private async endTransaction(): Promise<void> {
    if (!this.inTransaction) return;
    this.afterTransaction();
    try {
      await this.d.exec(this.client!, 'ROLLBACK');
    } catch (err) {
      this.giveBack(true);
      throw err;
    }
    this.giveBack(false);
  }

  dirtyRecords(): DirtyRecordsKept {
    return { kept: this.kept, pending: this.pending, where: `${this.d.checkpoint.dirtyTable} (installation_id '${this.owner.installationId}', task_id ${this.owner.taskId})` };
  }

  discardCheckpoint(tombstone?: number): Promise<void> {
    return this.guarded(async () => {
      await this.rollback();
      const c = await this.connection();
      if (tombstone !== undefined) await this.d.checkpoint.ensureTables(c, this.owner);
      await this.d.checkpoint.discard(c, this.owner, tombstone);
    });
  }

  async close(): Promise<void> {
    await this.rollback().catch(() => undefined);
    this.closing = true;
    if (this.pool) return this.giveBack(false);
    const c = this.client;
    this.client = undefined;
    if (c !== undefined) await this.d.end(c).catch(() => this.d.destroy(c));
  }

  async destroy(): Promise<void> {
    // Closing the socket makes the server abort the open transaction: nothing half-applied commits.
    this.closing = true;
    if (this.inTransaction) this.afterTransaction();
    if (this.pool) return this.giveBack(true);
    const c = this.client;
    this.client = undefined;
    if (c !== undefined) this.d.destroy(c);
  }

  /** Pooled: the connection goes back between transactions; `broken` ones are destroyed by the pool. */
  private giveBack(broken: boolean): void {
    const c = this.client;
    if (!this.pool || c === undefined || (this.inTransaction && !broken)) return;
    this.client = undefined;
    this.pool.release(c, broken);
  }

  private afterTransaction(): void {
    this.inTransaction = false;
    this.pending = 0;
    if (this.transactionalDdl) this.rollbacks++;
  }

  /** Permanent target errors fail the task at once with what fixes them; the rest stay retryable. */
  private async guarded<R>(work: () => Promise<R>): Promise<R> {
    try {
      const result = await work();
      if (!this.inTransaction) this.giveBack(false);
      return result;
    } catch (err) {
      // Outside a transaction nobody rolls back: the connection's state is unknown, so it is not reused.
      if (!this.inTransaction) this.giveBack(true);
      if (err instanceof UnrecoverableError) throw err;
      const permanent = this.d.permanentError(err);
      if (permanent === null) throw err;
      throw new UnrecoverableError(permanent, { cause: err });
    }
  }

  /**
   * DDL that commits implicitly runs outside the fenced transaction: re-check the fence right
   * before it, so an owner fenced out meanwhile stops instead of changing the tables. This
   * narrows the window to one round trip; it cannot close it (README "Running several nodes").
   */
  private async checkFenceBeforeDdl(c: C): Promise<void> {
    if (this.fence === 0 || !this.d.checkpoint.fenceOf) return;
    const stored = await this.d.checkpoint.fenceOf(c, this.owner);
    if (stored !== this.fence) throw new FencedError(`task ${this.owner.taskId}: a newer owner has claimed the task (fence ${stored} > ${this.fence}); schema change refused`);
  }

  /** DDL on the sink's own session: inside its transaction where DDL is transactional, else after the fence re-check. */
  private async inPlaceDdl<R>(run: (c: C) => Promise<R>): Promise<R> {
    if (this.transactionalDdl) return run(await this.begin());
    const c = await this.connection();
    await this.checkFenceBeforeDdl(c);
    return run(c);
  }

  private reported(ddl: DdlOutcome): TargetDdl {
    for (const w of ddl.warnings) this.logger.warn('a schema change could not be reproduced exactly at the target', { detail: w });
    return { statements: ddl.statements, warnings: ddl.warnings, tables: ddl.touched.map((t) => `${t.schema}.${t.table}`) };
  }

  private targetOf(t: { schema: string; table: string }): TargetName {
    return { schema: this.targetSchema ?? t.schema, table: t.table };
  }

  private generationOf(t: TargetName): string {
    return `${this.generations.get(keyOf(t)) ?? 0}/${this.rollbacks}`;
  }

  private async begin(): Promise<C> {
    const c = await this.connection();
    if (!this.inTransaction) {
      await this.d.exec(c, this.d.beginStatement);
      this.inTransaction = true;
    }
    return c;
  }

  /**
   * A table created while this lane's transaction is open: on a session of its own, committed at
   * once. Never from the shared pool: every lane of every task writing there may hold a pooled
   * connection in an open transaction, and one waiting for a second from the same pool could wait
   * on lanes that wait for it (until the acquire bound fails the task). Such DDL is rare (a table's
   * first rows), so a short-lived session costs little.
   */
  private async onSideConnection<R>(work: (side: C) => Promise<R>): Promise<R> {
    const side = await this.d.connect((err) => this.logger.warn('target connection error', { error: err }));
    try {
      return await work(side);
    } finally {
      await this.d.end(side).catch(() => this.d.destroy(side));
    }
  }

  private async connection(): Promise<C> {
    if (this.closing) throw new Error('the sink is closed');
    if (this.client === undefined) {
      this.client = this.pool ? await this.pool.acquire()
        : await this.d.connect((err) => { if (!this.closing) this.logger.warn('target connection error', { error: err }); });
    }
    return this.client;
  }
}

function keyOf(t: TargetName): string {
  return `${t.schema}\u0000${t.table}`;
}

/** Per table, in order of first appearance; each table's changes keep their order. */
function groupByRelation(changes: RowChange[]): Map<RelationInfo, RowChange[]> {
  const byTable = new Map<RelationInfo, RowChange[]>();
  for (const ch of changes) {
    const list = byTable.get(ch.relation);
    if (list) list.push(ch); else byTable.set(ch.relation, [ch]);
  }
  return byTable;
}
