/**
 * PostgreSQL sink: applies row changes with set-based statements inside one open target
 * transaction and commits it together with the task's checkpoint row (design.md section 4).
 * The checkpoint lives in the target: opendi.sync_checkpoint(task_id, position, fence).
 * Fencing: `claim` raises the row's fence; `commit` updates the row only where the fence is
 * still ours, so a stale owner's commit finds no row and rolls back (under READ COMMITTED the
 * UPDATE waits for a concurrent claim and then re-checks the fence).
 */
import pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import type { ChangeSink } from '../../change-sink.ts';
import type { TableSchema } from '../../change-source.ts';
import type { RelationInfo, RowChange } from '../../change-event.ts';
import { FencedError } from '../../errors.ts';
import { clientConfig, qualifiedName } from '../../postgres/connection.ts';
import { Coalescer } from './coalesce-changes.ts';
import { applyFinalRows, applyMove } from './apply-rows.ts';
import { prepareTargetTable, type TargetTable } from './target-table.ts';

const CHECKPOINT_DDL = `
  CREATE SCHEMA IF NOT EXISTS opendi;
  CREATE TABLE IF NOT EXISTS opendi.sync_checkpoint (
    task_id bigint PRIMARY KEY, position text, fence bigint NOT NULL, updated_at timestamptz DEFAULT now())`;

export class PostgresSink implements ChangeSink {
  private client: pg.Client | undefined;
  private fence = 0;
  private inTransaction = false;
  private readonly tables = new WeakMap<RelationInfo, TargetTable>();
  private preparedTables = 0;
  private closing = false;

  constructor(private readonly endpoint: PgEndpoint, private readonly taskId: number, private readonly applicationName: string, private readonly logger: Logger) {}

  async claim(fence: number): Promise<string | null> {
    const c = await this.connection();
    try {
      await c.query(CHECKPOINT_DDL);
    } catch (err) {
      // Two tasks creating the schema at once: one wins, the other sees a duplicate; both are fine.
      const code = (err as { code?: string }).code;
      if (code !== '23505' && code !== '42P06' && code !== '42P07') throw err;
    }
    const r = await c.query(
      `INSERT INTO opendi.sync_checkpoint AS cp (task_id, position, fence, updated_at) VALUES ($1, NULL, $2, now())
       ON CONFLICT (task_id) DO UPDATE SET fence = EXCLUDED.fence, updated_at = now() WHERE cp.fence < EXCLUDED.fence
       RETURNING position`, [this.taskId, fence]);
    if (r.rowCount !== 1) throw new FencedError(`task ${this.taskId}: an owner with a fence >= ${fence} has claimed the task; this one stops`);
    this.fence = fence;
    return r.rows[0].position;
  }

  async prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<void> {
    if (this.tables.has(relation)) return;
    const c = await this.connection();
    this.tables.set(relation, await prepareTargetTable(c, relation, describe, `opendi_t${++this.preparedTables}`, this.logger));
  }

  async apply(changes: RowChange[]): Promise<void> {
    if (changes.length === 0) return;
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
      let folded = new Coalescer(table.keys);
      for (const ch of list) {
        const move = folded.add(ch);
        if (!move) continue;
        await applyFinalRows(c, table, folded.rows.values());
        folded = new Coalescer(table.keys);
        if ((await applyMove(c, table, move)) !== 1) {
          this.logger.warn('a key change found no target row to move; the target had diverged', { table: `${relation.schema}.${relation.table}` });
        }
      }
      if (folded.size > 0) await applyFinalRows(c, table, folded.rows.values());
    }
  }

  async truncate(relations: RelationInfo[]): Promise<void> {
    if (relations.length === 0) return;
    await this.begin();
    await this.client!.query(`TRUNCATE ${relations.map(qualifiedName).join(', ')}`);
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
    const exists = (await c.query(`SELECT to_regclass('opendi.sync_checkpoint') AS t`)).rows[0].t;
    if (exists) await c.query(`DELETE FROM opendi.sync_checkpoint WHERE task_id = $1`, [this.taskId]);
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
