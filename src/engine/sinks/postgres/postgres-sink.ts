/**
 * PostgreSQL sink: applies row changes with set-based statements inside one open target
 * transaction and commits it together with the task's checkpoint row (docs/design.md section 4).
 * The checkpoint lives in the target: opendi.sync_checkpoint(task_id, position, fence).
 * Fencing: `claim` raises the row's fence; `commit` updates the row only where the fence is
 * still ours, so a stale owner's commit finds no row and rolls back (under READ COMMITTED the
 * UPDATE waits for a concurrent claim and then re-checks the fence).
 * Dirty records (rows the target rejects for their data) go to opendi.dirty_record in the same
 * transaction: every set statement runs under a savepoint, and a statement that fails with a
 * data error is retried row by row to find the rows to set aside.
 */
import pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import type { ChangeSink, Claim, DirtyRecord } from '../../change-sink.ts';
import type { TableSchema } from '../../table-schema.ts';
import type { ColumnValue, RelationInfo, RowChange, SchemaChange } from '../../change-event.ts';
import { FencedError } from '../../errors.ts';
import { clientConfig, qualifiedName } from '../../postgres/connection.ts';
import { Coalescer } from '../coalesce-changes.ts';
import { applyFinalRows, applyMove, type StatementGuard } from './apply-rows.ts';
import { prepareTargetTable, type TargetTable } from './target-table.ts';
import { applyPgSchemaChange } from './schema-change.ts';

const CHECKPOINT_DDL = `
  CREATE SCHEMA IF NOT EXISTS opendi;
  CREATE TABLE IF NOT EXISTS opendi.sync_checkpoint (
    task_id bigint PRIMARY KEY, position text, fence bigint NOT NULL, updated_at timestamptz DEFAULT now());
  CREATE TABLE IF NOT EXISTS opendi.dirty_record (
    id bigserial PRIMARY KEY, task_id bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
    table_name text NOT NULL, op text NOT NULL, row_key text NOT NULL, row_values text, error text NOT NULL);
  CREATE INDEX IF NOT EXISTS dirty_record_task ON opendi.dirty_record (task_id)`;

/** SQLSTATE classes of errors caused by a row's data: 22 data exception, 23 integrity constraint violation. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

export class PostgresSink implements ChangeSink {
  readonly transactionalDdl = true;
  private client: pg.Client | undefined;
  private fence = 0;
  private inTransaction = false;
  private readonly tables = new WeakMap<RelationInfo, TargetTable>();
  private preparedTables = 0;
  private closing = false;

  /** `targetSchema`: the schema every table goes to; null keeps each table's source schema. */
  constructor(
    private readonly endpoint: PgEndpoint, private readonly taskId: number, private readonly targetSchema: string | null,
    private readonly applicationName: string, private readonly logger: Logger,
  ) {}

  async claim(fence: number): Promise<Claim> {
    const c = await this.connection();
    try {
      await c.query(CHECKPOINT_DDL);
    } catch (err) {
      // Two tasks creating the schema at once: one wins, the other sees a duplicate; both are fine.
      const code = (err as { code?: string }).code;
      if (code !== '23505' && code !== '42P06' && code !== '42P07') throw err;
      await c.query(CHECKPOINT_DDL);
    }
    const r = await c.query(
      `INSERT INTO opendi.sync_checkpoint AS cp (task_id, position, fence, updated_at) VALUES ($1, NULL, $2, now())
       ON CONFLICT (task_id) DO UPDATE SET fence = EXCLUDED.fence, updated_at = now() WHERE cp.fence < EXCLUDED.fence
       RETURNING position`, [this.taskId, fence]);
    if (r.rowCount !== 1) throw new FencedError(`task ${this.taskId}: an owner with a fence >= ${fence} has claimed the task; this one stops`);
    this.fence = fence;
    const dirty = await c.query(`SELECT count(*)::int AS n FROM opendi.dirty_record WHERE task_id = $1`, [this.taskId]);
    return { position: r.rows[0].position, dirtyRecords: dirty.rows[0].n };
  }

  async prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<void> {
    if (this.tables.has(relation)) return;
    const c = await this.connection();
    this.tables.set(relation, await prepareTargetTable(c, relation, this.targetOf(relation), describe, `opendi_t${++this.preparedTables}`, this.logger));
  }

  async applySchemaChange(change: SchemaChange, describe: () => Promise<TableSchema>): Promise<void> {
    await this.begin();
    const target = this.targetOf(change);
    const renamed = change.newTable ? this.targetOf(change.newTable) : undefined;
    await applyPgSchemaChange(this.client!, change, target, renamed, describe, this.logger);
  }

  async apply(changes: RowChange[]): Promise<DirtyRecord[]> {
    const dirty: DirtyRecord[] = [];
    if (changes.length === 0) return dirty;
    await this.begin();
    const c = this.client!;
    // Per table, in order of first appearance; each table's changes keep their order.
    const byTable = new Map<RelationInfo, RowChange[]>();
    for (const ch of changes) {
      const list = byTable.get(ch.relation);
      if (list) list.push(ch); else byTable.set(ch.relation, [ch]);
    }
    for (const [relation, list] of byTable) {
      const table = this.tables.get(relation);
      if (!table) throw new Error(`table ${relation.schema}.${relation.table} was not prepared`);
      const guard = this.guard(table, dirty);
      let folded = new Coalescer(table.keys);
      for (const ch of list) {
        const move = folded.add(ch);
        if (!move) continue;
        await applyFinalRows(c, table, folded.rows.values(), guard);
        folded = new Coalescer(table.keys);
        await guard('update', [move.values], async () => {
          if ((await applyMove(c, table, move)) !== 1) {
            this.logger.warn('a key change found no target row to move; the target had diverged', { table: table.label });
          }
        });
      }
      if (folded.size > 0) await applyFinalRows(c, table, folded.rows.values(), guard);
    }
    return dirty;
  }

  async truncate(relations: RelationInfo[]): Promise<void> {
    if (relations.length === 0) return;
    await this.begin();
    await this.client!.query(`TRUNCATE ${relations.map((r) => this.targetOf(r)).map(qualifiedName).join(', ')}`);
  }

  async commit(position: string): Promise<void> {
    await this.begin();
    const c = this.client!;
    const r = await c.query(
      `UPDATE opendi.sync_checkpoint SET position = $2, updated_at = now() WHERE task_id = $1 AND fence = $3`,
      [this.taskId, position, this.fence]);
    if (r.rowCount !== 1) {
      await this.rollback();
      throw new FencedError(`task ${this.taskId}: a newer owner has claimed the task (fence > ${this.fence}); commit refused`);
    }
    await c.query('COMMIT');
    this.inTransaction = false;
  }

  async rollback(): Promise<void> {
    if (!this.inTransaction) return;
    this.inTransaction = false;
    await this.client!.query('ROLLBACK');
  }

  async discardCheckpoint(): Promise<void> {
    const c = await this.connection();
    const exists = (await c.query(`SELECT to_regclass('opendi.sync_checkpoint') AS t, to_regclass('opendi.dirty_record') AS d`)).rows[0];
    if (exists.t) await c.query(`DELETE FROM opendi.sync_checkpoint WHERE task_id = $1`, [this.taskId]);
    if (exists.d) await c.query(`DELETE FROM opendi.dirty_record WHERE task_id = $1`, [this.taskId]);
  }

  async close(): Promise<void> {
    await this.rollback().catch(() => undefined);
    this.closing = true;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  async destroy(): Promise<void> {
    // Closing the socket makes the server abort the open transaction: nothing half-applied commits.
    const c = this.client as unknown as { connection?: { stream?: { destroy(): void } } } | undefined;
    this.closing = true;
    this.client = undefined;
    this.inTransaction = false;
    c?.connection?.stream?.destroy();
  }

  private targetOf(t: { schema: string; table: string }): { schema: string; table: string } {
    return { schema: this.targetSchema ?? t.schema, table: t.table };
  }

  /**
   * Runs a set statement under a savepoint. When the target rejects it for a row's data, the
   * statement is retried row by row, each under its own savepoint; rejected rows are recorded in
   * opendi.dirty_record (same transaction) and returned, the others applied.
   */
  private guard(table: TargetTable, dirty: DirtyRecord[]): StatementGuard {
    const c = this.client!;
    const attempt = async (rows: ColumnValue[][], run: (rows: ColumnValue[][]) => Promise<unknown>): Promise<unknown> => {
      await c.query('SAVEPOINT opendi_row');
      try {
        await run(rows);
        await c.query('RELEASE SAVEPOINT opendi_row');
        return null;
      } catch (err) {
        if (!isDataError(err)) throw err;
        await c.query('ROLLBACK TO SAVEPOINT opendi_row');
        return err;
      }
    };
    return async (op, rows, run) => {
      if ((await attempt(rows, run)) === null) return;
      for (const row of rows) {
        const err = await attempt([row], run);
        if (err === null) continue;
        const key = JSON.stringify(op === 'delete' ? row : table.keys.map((i) => row[i]), unchangedAsNull);
        const record: DirtyRecord = { table: table.label, op, key, error: (err as Error).message };
        await c.query(
          `INSERT INTO opendi.dirty_record (task_id, table_name, op, row_key, row_values, error) VALUES ($1, $2, $3, $4, $5, $6)`,
          [this.taskId, record.table, op, key, op === 'delete' ? null : JSON.stringify(Object.fromEntries(table.columns.map((col, i) => [col, row[i]])), unchangedAsNull), record.error]);
        dirty.push(record);
      }
    };
  }

  private async begin(): Promise<void> {
    if (this.inTransaction) return;
    await (await this.connection()).query('BEGIN');
    this.inTransaction = true;
  }

  private async connection(): Promise<pg.Client> {
    if (!this.client) {
      const c = new pg.Client(clientConfig(this.endpoint, this.applicationName));
      c.on('error', (err) => { if (!this.closing) this.logger.warn('target connection error', { error: err }); });
      await c.connect();
      // The source is acknowledged right after our commit: the commit must be durable whatever the server's default.
      await c.query(`SET synchronous_commit = on`);
      // Like native logical replication: ordinary triggers and FK checks do not fire (needs superuser; best effort).
      await c.query(`SET session_replication_role = replica`).catch(() => undefined);
      this.client = c;
    }
    return this.client;
  }
}

/** JSON.stringify replacer: an unsent TOAST value shows as null in a dirty record. */
function unchangedAsNull(_key: string, value: unknown): unknown {
  return typeof value === 'symbol' ? null : value;
}
