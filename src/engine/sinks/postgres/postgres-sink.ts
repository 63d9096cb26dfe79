/**
 * PostgreSQL sink: applies folded row changes with set-based statements (unnest of text arrays,
 * each value cast to the target column's type) inside one open transaction, and commits it
 * together with the task's checkpoint row (design.md section 4). The checkpoint lives in the
 * target: opendi.sync_checkpoint(task_id, position, fence).
 */
import pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import type { ChangeSink } from '../../change-sink.ts';
import type { TableSchema } from '../../change-source.ts';
import { UNCHANGED, type ColumnValue, type RelationInfo, type RowChange } from '../../change-event.ts';
import { FencedError } from '../../errors.ts';
import { clientConfig, quoteIdent } from '../../sources/postgres/replication-stream.ts';
import { coalesce, keyIndexes, type FinalRow } from './coalesce-changes.ts';

const CHECKPOINT_DDL = `
  CREATE SCHEMA IF NOT EXISTS opendi;
  CREATE TABLE IF NOT EXISTS opendi.sync_checkpoint (
    task_id bigint PRIMARY KEY, position text, fence bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`;

interface TargetTable { name: string; types: Map<string, string> }

export class PostgresSink implements ChangeSink {
  private client: pg.Client | undefined;
  private fence = 0;
  private inTransaction = false;
  private readonly tables = new Map<string, TargetTable>();

  constructor(private readonly endpoint: PgEndpoint, private readonly taskId: number, private readonly logger: Logger) {}

  async claim(fence: number): Promise<string | null> {
    const c = await this.connection();
    try {
      await c.query(CHECKPOINT_DDL);
    } catch (err) {
      // Two tasks creating the schema at once: one wins, the other sees a duplicate; both are fine.
      if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P06') throw err;
    }
    const r = await c.query(
      `INSERT INTO opendi.sync_checkpoint AS cp (task_id, position, fence) VALUES ($1, NULL, $2)
       ON CONFLICT (task_id) DO UPDATE SET fence = EXCLUDED.fence, updated_at = now() WHERE cp.fence < EXCLUDED.fence
       RETURNING position`, [this.taskId, fence]);
    if (r.rowCount !== 1) throw new FencedError(`task ${this.taskId} was claimed by a newer owner (fence > ${fence}); this pipeline stops`);
    this.fence = fence;
    return r.rows[0].position;
  }

  async prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<void> {
    const key = `${relation.schema}.${relation.table}`;
    const c = await this.connection();
    let types = await this.columnTypes(c, relation);
    if (types.size === 0) {
      const schema = await describe();
      const cols = schema.columns.map((col) => `${quoteIdent(col.name)} ${col.type}${col.notNull ? ' NOT NULL' : ''}`);
      const pk = schema.columns.filter((col) => col.isKey).map((col) => quoteIdent(col.name));
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(relation.schema)}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${qualified(relation)} (${cols.join(', ')}, PRIMARY KEY (${pk.join(', ')}))`);
      this.logger.info('created target table', { table: key });
      types = await this.columnTypes(c, relation);
    }
    const missing = relation.columns.filter((col) => !types.has(col.name)).map((col) => col.name);
    if (missing.length > 0) throw new Error(`target table ${key} lacks column(s) ${missing.join(', ')}`);
    this.tables.set(key, { name: qualified(relation), types });
  }

  async apply(changes: RowChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.begin();
    // Group by table, keeping each table's changes in order.
    const byTable = new Map<RelationInfo['id'], { relation: RelationInfo; changes: RowChange[] }>();
    for (const ch of changes) {
      const g = byTable.get(ch.relation.id) ?? { relation: ch.relation, changes: [] };
      g.relation = ch.relation;
      g.changes.push(ch);
      byTable.set(ch.relation.id, g);
    }
    for (const { relation, changes: tableChanges } of byTable.values()) {
      await this.applyTable(relation, coalesce(tableChanges, keyIndexes(relation)));
    }
  }

  async truncate(relations: RelationInfo[]): Promise<void> {
    if (relations.length === 0) return;
    await this.begin();
    await this.client!.query(`TRUNCATE ${relations.map(qualified).join(', ')}`);
  }

  async commit(position: string): Promise<void> {
    await this.begin();
    const c = this.client!;
    const r = await c.query(`UPDATE opendi.sync_checkpoint SET position = $2, updated_at = now() WHERE task_id = $1 AND fence = $3`, [this.taskId, position, this.fence]);
    if (r.rowCount !== 1) {
      await this.rollback();
      throw new FencedError(`task ${this.taskId}: the checkpoint was claimed by a newer owner; commit refused`);
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
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  async destroy(): Promise<void> {
    // Closing the socket makes the server abort the open transaction: nothing half-applied commits.
    (this.client as any)?.connection?.stream?.destroy();
    this.client = undefined;
  }

  private async begin(): Promise<void> {
    if (this.inTransaction) return;
    await (await this.connection()).query('BEGIN');
    this.inTransaction = true;
  }

  private async applyTable(relation: RelationInfo, rows: Map<string, FinalRow>): Promise<void> {
    const table = this.tables.get(`${relation.schema}.${relation.table}`);
    if (!table) throw new Error(`table ${relation.schema}.${relation.table} was not prepared`);
    const keys = keyIndexes(relation);
    const cols = relation.columns;
    const deletes: ColumnValue[][] = [];
    const upserts: ColumnValue[][] = [];
    const partial = new Map<string, ColumnValue[][]>(); // by the set of unchanged columns
    for (const row of rows.values()) {
      if (row.op === 'delete') deletes.push(row.key);
      else if (!row.values.includes(UNCHANGED)) upserts.push(row.values);
      else {
        const sig = row.values.map((v) => (v === UNCHANGED ? '1' : '0')).join('');
        const list = partial.get(sig) ?? [];
        list.push(row.values);
        partial.set(sig, list);
      }
    }
    const c = this.client!;
    const typeOf = (i: number) => table.types.get(cols[i].name)!;
    if (deletes.length > 0) {
      const arrays = keys.map((_, k) => deletes.map((key) => key[k] as string | null));
      const conds = keys.map((i, k) => `t.${quoteIdent(cols[i].name)} = u.k${k}::${typeOf(i)}`).join(' AND ');
      await c.query(`DELETE FROM ${table.name} t USING unnest(${arrays.map((_, k) => `$${k + 1}::text[]`).join(', ')}) AS u(${keys.map((_, k) => `k${k}`).join(', ')}) WHERE ${conds}`, arrays);
    }
    if (upserts.length > 0) {
      const arrays = cols.map((_, i) => upserts.map((v) => v[i] as string | null));
      const nonKey = cols.map((_, i) => i).filter((i) => !keys.includes(i));
      const onConflict = nonKey.length === 0 ? 'DO NOTHING'
        : `DO UPDATE SET ${nonKey.map((i) => `${quoteIdent(cols[i].name)} = EXCLUDED.${quoteIdent(cols[i].name)}`).join(', ')}`;
      await c.query(
        `INSERT INTO ${table.name} (${cols.map((col) => quoteIdent(col.name)).join(', ')})
         SELECT ${cols.map((_, i) => `u.c${i}::${typeOf(i)}`).join(', ')}
           FROM unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${cols.map((_, i) => `c${i}`).join(', ')})
         ON CONFLICT (${keys.map((i) => quoteIdent(cols[i].name)).join(', ')}) ${onConflict}`, arrays);
    }
    for (const [sig, list] of partial) {
      // Unchanged TOAST columns keep their target value: update only the columns that were sent.
      const sent = cols.map((_, i) => i).filter((i) => sig[i] === '0');
      const setCols = sent.filter((i) => !keys.includes(i));
      if (setCols.length === 0) continue;
      const arrays = sent.map((i) => list.map((v) => v[i] as string | null));
      const alias = (i: number) => `c${sent.indexOf(i)}`;
      await c.query(
        `UPDATE ${table.name} t SET ${setCols.map((i) => `${quoteIdent(cols[i].name)} = u.${alias(i)}::${typeOf(i)}`).join(', ')}
           FROM unnest(${sent.map((_, k) => `$${k + 1}::text[]`).join(', ')}) AS u(${sent.map((_, k) => `c${k}`).join(', ')})
          WHERE ${keys.map((i) => `t.${quoteIdent(cols[i].name)} = u.${alias(i)}::${typeOf(i)}`).join(' AND ')}`, arrays);
    }
  }

  private async columnTypes(c: pg.Client, relation: RelationInfo): Promise<Map<string, string>> {
    const res = await c.query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE n.nspname = $1 AND cl.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`, [relation.schema, relation.table]);
    return new Map(res.rows.map((r) => [r.name, r.type]));
  }

  private async connection(): Promise<pg.Client> {
    if (!this.client) {
      const c = new pg.Client(clientConfig(this.endpoint));
      c.on('error', (err) => this.logger.warn('target connection error', { error: err }));
      await c.connect();
      // Applying changes as a replica keeps target triggers/rules marked ENABLE REPLICA semantics (like native logical replication).
      await c.query(`SET session_replication_role = replica`).catch(() => undefined);
      this.client = c;
    }
    return this.client;
  }
}

function qualified(r: { schema: string; table: string }): string {
  return `${quoteIdent(r.schema)}.${quoteIdent(r.table)}`;
}
