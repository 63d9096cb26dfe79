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
import { Coalescer } from './coalesce-changes.ts';
import { createRowGuard } from './row-guard.ts';
import type { DdlOutcome, Owner, PreparedTable, SinkDialect, TargetName } from './sink-dialect.ts';

interface Prepared<T> { table: T; generation: string }

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

  /** `targetSchema`: where every table goes (MySQL: the database); null keeps each table's source schema. */
  constructor(
    private readonly d: SinkDialect<C, T>, private readonly owner: Owner, private readonly targetSchema: string | null,
    private readonly logger: Logger,
  ) {
    this.transactionalDdl = d.transactionalDdl;
  }

  claim(fence: number): Promise<Claim> {
    return this.guarded(async () => {
      const c = await this.connection();
      await this.rollback();
      await this.d.checkpoint.ensureTables(c, this.owner);
      const claimed = await this.d.checkpoint.claim(c, this.owner, fence);
      if (claimed === 'fenced') throw new FencedError(`task ${this.owner.taskId}: an owner with a fence >= ${fence} has claimed the task; this one stops`);
      this.fence = fence;
      this.kept = claimed.dirtyRecords;
      return claimed;
    });
  }

  prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<TargetDdl | null> {
    const target = this.targetOf(relation);
    if (this.tables.get(relation)?.generation === this.generationOf(target)) return Promise.resolve(null);
    return this.guarded(async () => {
      const c = await this.connection();
      const generation = this.generationOf(target);
      const { table, ddl } = await this.d.prepareTable(c, relation, target, describe, this.inTransaction);
      this.tables.set(relation, { table, generation });
      if (!ddl || ddl.statements.length === 0) return null;
      this.logger.info('created target table', { table: table.label });
      return this.reported(ddl);
    });
  }

  apply(changes: RowChange[]): Promise<DirtyRecord[]> {
    const dirty: DirtyRecord[] = [];
    if (changes.length === 0) return Promise.resolve(dirty);
    return this.guarded(async () => {
      const c = await this.begin();
      const setAside = async (d: { record: DirtyRecord; values: string | null }) => {
        await this.d.checkpoint.insertDirty(c, this.owner, d);
        this.pending++;
        dirty.push(d.record);
      };
      for (const [relation, list] of groupByRelation(changes)) {
        const table = this.tables.get(relation)?.table;
        if (!table) throw new Error(`table ${relation.schema}.${relation.table} was not prepared`);
        const guard = createRowGuard(this.d, c, table, setAside);
        let folded = new Coalescer(table.keys);
        for (const ch of list) {
          const move = folded.add(ch);
          if (!move) continue;
          await this.d.applyRows(c, table, folded.rows.values(), guard);
          folded = new Coalescer(table.keys);
          let matched = -1;
          const moveRow = async () => { matched = await this.d.applyMove(c, table, move); };
          await guard.statement('update', [move.values], moveRow, moveRow);
          if (matched === 0) this.logger.warn('a key change found no target row to move; the target had diverged', { table: table.label });
        }
        if (folded.size > 0) await this.d.applyRows(c, table, folded.rows.values(), guard);
      }
      return dirty;
    });
  }

  applySchemaChange(change: SchemaChange, describe: () => Promise<TableSchema>): Promise<TargetDdl> {
    if (!this.transactionalDdl && this.inTransaction) {
      return Promise.reject(new Error('applySchemaChange needs no open transaction: DDL commits implicitly at this target'));
    }
    return this.guarded(async () => {
      const c = this.transactionalDdl ? await this.begin() : await this.connection();
      if (!this.transactionalDdl) await this.checkFenceBeforeDdl(c);
      const out = await this.d.applySchemaChange(c, change, this.targetOf(change), change.newTable && this.targetOf(change.newTable), describe);
      for (const t of out.touched) this.generations.set(keyOf(t), (this.generations.get(keyOf(t)) ?? 0) + 1);
      this.logger.info('applied a schema change to the target', { type: change.type, table: `${change.schema}.${change.table}`, statements: out.statements.length });
      return this.reported(out);
    });
  }

  truncate(relations: RelationInfo[]): Promise<string[]> {
    if (relations.length === 0) return Promise.resolve([]);
    return this.guarded(async () => this.d.truncate(await this.begin(), relations.map((r) => this.targetOf(r))));
  }

  commit(position: string): Promise<void> {
    return this.guarded(async () => {
      const c = await this.begin();
      if (!(await this.d.checkpoint.write(c, this.owner, this.fence, position))) {
        await this.rollback();
        throw new FencedError(`task ${this.owner.taskId}: a newer owner has claimed the task (fence > ${this.fence}); commit refused`);
      }
      await this.d.exec(c, 'COMMIT');
      this.inTransaction = false;
      this.kept += this.pending;
      this.pending = 0;
    });
  }

  async rollback(): Promise<void> {
    if (!this.inTransaction) return;
    this.afterTransaction();
    await this.d.exec(this.client!, 'ROLLBACK');
  }

  dirtyRecords(): DirtyRecordsKept {
    return { kept: this.kept, pending: this.pending, where: `${this.d.checkpoint.dirtyTable} (installation_id '${this.owner.installationId}', task_id ${this.owner.taskId})` };
  }

  discardCheckpoint(tombstone?: number): Promise<void> {
    return this.guarded(async () => {
      const c = await this.connection();
      await this.rollback();
      if (tombstone !== undefined) await this.d.checkpoint.ensureTables(c, this.owner);
      await this.d.checkpoint.discard(c, this.owner, tombstone);
    });
  }

  async close(): Promise<void> {
    await this.rollback().catch(() => undefined);
    this.closing = true;
    const c = this.client;
    this.client = undefined;
    if (c !== undefined) await this.d.end(c).catch(() => this.d.destroy(c));
  }

  async destroy(): Promise<void> {
    // Closing the socket makes the server abort the open transaction: nothing half-applied commits.
    const c = this.client;
    this.closing = true;
    this.client = undefined;
    if (this.inTransaction) this.afterTransaction();
    if (c !== undefined) this.d.destroy(c);
  }

  private afterTransaction(): void {
    this.inTransaction = false;
    this.pending = 0;
    if (this.transactionalDdl) this.rollbacks++;
  }

  /** Permanent target errors fail the task at once with what fixes them; the rest stay retryable. */
  private async guarded<R>(work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (err) {
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

  private async connection(): Promise<C> {
    if (this.closing) throw new Error('the sink is closed');
    this.client ??= await this.d.connect((err) => { if (!this.closing) this.logger.warn('target connection error', { error: err }); });
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
