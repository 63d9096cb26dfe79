/**
 * MySQL/MariaDB sink: applies row changes with set-based statements inside one open target
 * transaction and commits it together with the task's checkpoint row (docs/design.md section 4).
 * The checkpoint lives in the endpoint's database: opendi_sync_checkpoint(task_id, position, fence),
 * dirty records beside it in opendi_dirty_record.
 * Fencing: `claim` raises the row's fence under a row lock; `commit` locks the row (SELECT ... FOR
 * UPDATE, which waits for a concurrent claim) and commits only when the fence is still ours.
 *
 * Session: utf8mb4, time zone UTC (DATETIME/TIMESTAMP values are UTC wall times), strict SQL mode
 * (overflow, too long and invalid values are errors, never silently changed), READ COMMITTED,
 * foreign_key_checks=0 (like a replica). Durability of a commit is the server's
 * innodb_flush_log_at_trx_commit (1 for crash-safe commits; 2 survives a mysqld crash, not an OS crash).
 *
 * MySQL DDL commits implicitly: a table created by `prepareTable` inside an open transaction is
 * created on a separate connection; `applySchemaChange` must be called outside a transaction.
 */
import mysql, { type Connection } from 'mysql2/promise';
import type { Logger } from '../../../logger.ts';
import type { DbEndpoint } from '../../endpoint.ts';
import type { ChangeSink, Claim, DirtyRecord } from '../../change-sink.ts';
import type { TableSchema } from '../../table-schema.ts';
import type { ColumnValue, RelationInfo, RowChange, SchemaChange } from '../../change-event.ts';
import { FencedError } from '../../errors.ts';
import { Coalescer } from '../coalesce-changes.ts';
import { applyFinalRows, applyMove, type ApplyContext, type DirtyOp } from './apply-rows.ts';
import { prepareTargetTable, type TargetName, type TargetTable } from './target-table.ts';
import { applyMySqlSchemaChange } from './schema-change.ts';
import { qualified } from './sql.ts';

export { mysqlColumnTypeFor } from './column-types.ts';

const CHECKPOINT_TABLE = 'opendi_sync_checkpoint';
const DIRTY_TABLE = 'opendi_dirty_record';

const SESSION_SETUP = `SET NAMES utf8mb4, time_zone = '+00:00',
  sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO', foreign_key_checks = 0`;
/** Statement text bound: 4 Mi code units, and at most a third of max_allowed_packet (UTF-8 takes up to 3 bytes per unit). */
const MAX_STATEMENT_CHARS = 4 * 1024 * 1024;
const MAX_ERROR_CHARS = 60_000;

export function connectionOptions(endpoint: DbEndpoint, applicationName: string): mysql.ConnectionOptions {
  return {
    database: endpoint.database, connectAttributes: { program_name: applicationName },
    host: endpoint.host, port: endpoint.port, user: endpoint.user, password: endpoint.password ?? '',
    charset: 'utf8mb4_bin', supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, multipleStatements: false,
    connectTimeout: 20_000, queryFormat: formatOnlyWithValues,
  };
}

/**
 * mysql2 scans every statement for placeholders, also when no values are bound; the sink's
 * multi-row statements are megabytes of already escaped literals, so skip the scan for them.
 */
function formatOnlyWithValues(sql: string, values: unknown): string {
  return Array.isArray(values) && values.length > 0 ? mysql.format(sql, values) : sql;
}

/** Opens a session set up as the sink needs it. */
export async function openSession(endpoint: DbEndpoint, applicationName: string): Promise<Connection> {
  const c = await mysql.createConnection(connectionOptions(endpoint, applicationName));
  try {
    await c.query(SESSION_SETUP);
    await c.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  } catch (err) {
    c.destroy();
    throw err;
  }
  return c;
}

interface Prepared { table: TargetTable; generation: number }

export class MySqlSink implements ChangeSink {
  /** MySQL DDL commits implicitly: schema changes are applied outside the open transaction. */
  readonly transactionalDdl = false;
  private client: Connection | undefined;
  private fence = 0;
  private inTransaction = false;
  private maxStatementChars = MAX_STATEMENT_CHARS;
  private readonly tables = new WeakMap<RelationInfo, Prepared>();
  /** Bumped per target table (db.table) by schema changes: prepared info of an older generation is re-read. */
  private readonly generations = new Map<string, number>();
  private closing = false;

  /** `targetSchema`: the database every table goes to; null keeps each table's source schema. */
  constructor(
    private readonly endpoint: DbEndpoint, private readonly taskId: number, private readonly targetSchema: string | null,
    private readonly applicationName: string, private readonly logger: Logger,
  ) {}

  async claim(fence: number): Promise<Claim> {
    const c = await this.connection();
    await this.rollback();
    await this.createOwnTables(c);
    const cp = qualified(this.endpoint.database, CHECKPOINT_TABLE);
    for (let attempt = 0; ; attempt++) {
      await c.query('START TRANSACTION');
      try {
        const [rows] = await c.query(`SELECT fence, position FROM ${cp} WHERE task_id = ? FOR UPDATE`, [this.taskId]);
        const row = (rows as { fence: string; position: string | null }[])[0];
        let position: string | null = null;
        if (!row) {
          await c.query(`INSERT INTO ${cp} (task_id, position, fence, updated_at) VALUES (?, NULL, ?, UTC_TIMESTAMP(6))`, [this.taskId, fence]);
        } else {
          if (Number(row.fence) >= fence) throw new FencedError(`task ${this.taskId}: an owner with a fence >= ${fence} has claimed the task; this one stops`);
          await c.query(`UPDATE ${cp} SET fence = ?, updated_at = UTC_TIMESTAMP(6) WHERE task_id = ?`, [fence, this.taskId]);
          position = row.position;
        }
        const [count] = await c.query(`SELECT COUNT(*) AS n FROM ${qualified(this.endpoint.database, DIRTY_TABLE)} WHERE task_id = ?`, [this.taskId]);
        await c.query('COMMIT');
        this.fence = fence;
        return { position, dirtyRecords: Number((count as { n: string }[])[0].n) };
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        // Two owners inserting the first row at once: the loser sees a duplicate and looks again.
        if ((err as { errno?: number }).errno === 1062 && attempt < 3) continue;
        throw err;
      }
    }
  }

  async prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<void> {
    const known = this.tables.get(relation);
    const target = this.targetOf(relation);
    if (known && known.generation === this.generationOf(target)) return;
    const c = await this.connection();
    const generation = this.generationOf(target);
    const table = await prepareTargetTable(c, (sql) => this.ddl(sql), relation, target, describe, this.logger);
    this.tables.set(relation, { table, generation });
  }

  async apply(changes: RowChange[]): Promise<DirtyRecord[]> {
    const dirty: DirtyRecord[] = [];
    if (changes.length === 0) return dirty;
    await this.begin();
    const ctx = this.applyContext(dirty);
    // Per table, in order of first appearance; each table's changes keep their order.
    const byTable = new Map<RelationInfo, RowChange[]>();
    for (const ch of changes) {
      const list = byTable.get(ch.relation);
      if (list) list.push(ch); else byTable.set(ch.relation, [ch]);
    }
    for (const [relation, list] of byTable) {
      const prepared = this.tables.get(relation);
      if (!prepared) throw new Error(`table ${relation.schema}.${relation.table} was not prepared`);
      const table = prepared.table;
      let folded = new Coalescer(table.keys);
      for (const ch of list) {
        const move = folded.add(ch);
        if (!move) continue;
        await applyFinalRows(ctx, table, folded.rows.values());
        folded = new Coalescer(table.keys);
        if ((await applyMove(ctx, table, move)) === 0) {
          this.logger.warn('a key change found no target row to move; the target had diverged', { table: table.label });
        }
      }
      if (folded.size > 0) await applyFinalRows(ctx, table, folded.rows.values());
    }
    return dirty;
  }

  async applySchemaChange(change: SchemaChange, describe: () => Promise<TableSchema>): Promise<void> {
    if (this.inTransaction) throw new Error('applySchemaChange needs no open transaction: MySQL DDL commits implicitly');
    const c = await this.connection();
    const touched = await applyMySqlSchemaChange(c, change, (schema) => this.targetSchema ?? schema, describe, this.logger);
    for (const t of touched) this.generations.set(`${t.db}\u0000${t.table}`, this.generationOf(t) + 1);
  }

  async truncate(relations: RelationInfo[]): Promise<void> {
    if (relations.length === 0) return;
    await this.begin();
    // TRUNCATE would commit implicitly: DELETE keeps it inside the open transaction.
    for (const r of relations) {
      const t = this.targetOf(r);
      await this.client!.query(`DELETE FROM ${qualified(t.db, t.table)}`);
    }
  }

  async commit(position: string): Promise<void> {
    await this.begin();
    const c = this.client!;
    const cp = qualified(this.endpoint.database, CHECKPOINT_TABLE);
    const [rows] = await c.query(`SELECT fence FROM ${cp} WHERE task_id = ? FOR UPDATE`, [this.taskId]);
    const row = (rows as { fence: string }[])[0];
    if (!row || Number(row.fence) !== this.fence) {
      await this.rollback();
      throw new FencedError(`task ${this.taskId}: a newer owner has claimed the task (fence > ${this.fence}); commit refused`);
    }
    await c.query(`UPDATE ${cp} SET position = ?, updated_at = UTC_TIMESTAMP(6) WHERE task_id = ?`, [position, this.taskId]);
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
    await this.rollback();
    const [rows] = await c.query(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?, ?)`,
      [this.endpoint.database, CHECKPOINT_TABLE, DIRTY_TABLE]);
    const present = new Set((rows as { t: string }[]).map((r) => r.t));
    await c.query('START TRANSACTION');
    try {
      if (present.has(CHECKPOINT_TABLE)) await c.query(`DELETE FROM ${qualified(this.endpoint.database, CHECKPOINT_TABLE)} WHERE task_id = ?`, [this.taskId]);
      if (present.has(DIRTY_TABLE)) await c.query(`DELETE FROM ${qualified(this.endpoint.database, DIRTY_TABLE)} WHERE task_id = ?`, [this.taskId]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.rollback().catch(() => undefined);
    this.closing = true;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => c.destroy());
  }

  async destroy(): Promise<void> {
    // Closing the socket makes the server abort the open transaction: nothing half-applied commits.
    const c = this.client;
    this.closing = true;
    this.client = undefined;
    this.inTransaction = false;
    c?.destroy();
  }

  private targetOf(t: { schema: string; table: string }): TargetName {
    return { db: this.targetSchema ?? t.schema, table: t.table };
  }

  private generationOf(t: TargetName): number {
    return this.generations.get(`${t.db}\u0000${t.table}`) ?? 0;
  }

  private applyContext(dirty: DirtyRecord[]): ApplyContext {
    const c = this.client!;
    const dirtyTable = qualified(this.endpoint.database, DIRTY_TABLE);
    return {
      c,
      maxStatementChars: this.maxStatementChars,
      dirty: async (t: TargetTable, op: DirtyOp, tuple: ColumnValue[], err: unknown) => {
        const keyValues = op === 'delete' ? tuple : t.keys.map((i) => tuple[i]);
        const key = JSON.stringify(keyValues, unchangedAsNull);
        const values = op === 'delete' ? null : JSON.stringify(Object.fromEntries(t.sourceColumns.map((col, i) => [col, tuple[i]])), unchangedAsNull);
        const error = String((err as Error).message ?? err).slice(0, MAX_ERROR_CHARS);
        const record: DirtyRecord = { table: t.label, op, key, error };
        await c.query(
          `INSERT INTO ${dirtyTable} (task_id, recorded_at, table_name, op, row_key, row_values, error) VALUES (?, UTC_TIMESTAMP(6), ?, ?, ?, ?, ?)`,
          [this.taskId, t.label, op, key, values, error]);
        dirty.push(record);
      },
    };
  }

  private async createOwnTables(c: Connection): Promise<void> {
    const ddl = [
      `CREATE TABLE IF NOT EXISTS ${qualified(this.endpoint.database, CHECKPOINT_TABLE)} (
        task_id BIGINT NOT NULL PRIMARY KEY, position TEXT NULL, fence BIGINT NOT NULL, updated_at DATETIME(6) NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE IF NOT EXISTS ${qualified(this.endpoint.database, DIRTY_TABLE)} (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, task_id BIGINT NOT NULL, recorded_at DATETIME(6) NOT NULL,
        table_name VARCHAR(512) NOT NULL, op VARCHAR(8) NOT NULL, row_key TEXT NOT NULL, row_values LONGTEXT NULL,
        error TEXT NOT NULL, KEY opendi_dirty_record_task (task_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ];
    for (const sql of ddl) {
      try {
        await c.query(sql);
      } catch (err) {
        // Two tasks creating the table at once: one wins, the other may see "already exists"; both are fine.
        if ((err as { errno?: number }).errno !== 1050) throw err;
      }
    }
  }

  /** DDL without committing the open transaction: on a separate session while one is open. */
  private async ddl(sql: string): Promise<void> {
    if (!this.inTransaction) {
      await (await this.connection()).query(sql);
      return;
    }
    const side = await openSession(this.endpoint, this.applicationName);
    try { await side.query(sql); } finally { await side.end().catch(() => side.destroy()); }
  }

  private async begin(): Promise<void> {
    if (this.inTransaction) return;
    await (await this.connection()).query('START TRANSACTION');
    this.inTransaction = true;
  }

  private async connection(): Promise<Connection> {
    if (!this.client) {
      const c = await openSession(this.endpoint, this.applicationName);
      c.on('error', (err: Error) => { if (!this.closing) this.logger.warn('target connection error', { error: err }); });
      const [rows] = await c.query('SELECT @@max_allowed_packet AS m');
      const packet = Number((rows as { m: string }[])[0].m);
      this.maxStatementChars = Math.max(64 * 1024, Math.min(MAX_STATEMENT_CHARS, Math.floor((packet - 1024) / 3)));
      this.client = c;
    }
    return this.client;
  }
}

/** JSON.stringify replacer: an unsent TOAST value shows as null in a dirty record. */
function unchangedAsNull(_key: string, value: unknown): unknown {
  return typeof value === 'symbol' ? null : value;
}
