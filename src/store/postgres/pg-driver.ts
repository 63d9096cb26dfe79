/**
 * The SQL driver (../sql/sql-driver.ts) over a bounded node-postgres Pool: at most `maxConnections`
 * connections, a connect timeout, a server-side statement_timeout and a client-side query_timeout
 * (a few seconds), TCP keep-alive, and an error listener for idle connections that break. The
 * catalog's tables live in their own schema (`opendi_catalog`, search_path) of the given database.
 * BIGINT (epoch milliseconds, counts) is read as a JS number on this pool only.
 */
import pg from 'pg';
import { bindable, type Row, type SqlDialect, type SqlDriver, type SqlExec } from '../sql/sql-driver.ts';
import { mapPgError } from './pg-errors.ts';
import { CatalogUnavailableError } from '../../domain/catalog-unavailable.ts';

export const CATALOG_SCHEMA = 'opendi_catalog';
/** The advisory lock key (any constant) held while migrating, so nodes starting at once apply each migration once. */
const MIGRATION_LOCK = 0x0d1ca7a1;
/**
 * A transaction its client gave up on (a query timed out during a network cut, and the client
 * dropped the connection) can stay open at the server, holding its row locks, for as long as the
 * server does not notice the client is gone: with a cut that swallows even the close, TCP
 * keep-alive's hours. Every catalog transaction is a few statements in a row, never idle this long
 * on its own; past it the server ends the session and its locks go (PostgreSQL docs
 * "idle_in_transaction_session_timeout").
 */
export const IDLE_IN_TRANSACTION_MS = 10_000;
/** How long a node waits for another node's migrations, or a migration may run (server and client bound). */
const MIGRATION_TIMEOUT_MS = 5 * 60_000;

export const PG_DIALECT: SqlDialect = {
  name: 'postgres',
  forUpdate: ' FOR UPDATE',
  forKeyShare: ' FOR KEY SHARE',
  ilike: 'ILIKE',
  contains: (expr) => `strpos(${expr}, ?) > 0`,
  // The JSON array "[1,2]" read as the array literal "{1,2}": one bound value, and an = ANY the planner estimates well.
  inJsonIntegers: (expr) => `${expr} = ANY(CAST(translate(CAST(? AS TEXT), '[]', '{}') AS BIGINT[]))`,
};

export interface PgDriverOptions {
  maxConnections?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** `application_name` of the catalog's connections (DBAs see who holds what). */
  applicationName?: string;
  /** Errors of idle connections (the server went away); the next statement reconnects. */
  onIdleError?: (err: Error) => void;
}

const int8 = (v: string) => Number(v);
const TYPES = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => oid === 20 ? int8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser };

export class PgDriver implements SqlDriver {
  readonly dialect = PG_DIALECT;
  readonly pool: pg.Pool;

  constructor(connectionString: string, options: PgDriverOptions = {}) {
    const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
    this.pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      // The client-side bound also covers a server that accepts the statement and then goes silent.
      query_timeout: statementTimeoutMs + 2_000,
      keepAlive: true,
      application_name: options.applicationName ?? 'opendi:catalog',
      options: `-c search_path=${CATALOG_SCHEMA}`,
      types: TYPES,
    });
    this.pool.on('error', (err) => options.onIdleError?.(err));
  }

  query(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return runOn(this.pool, sql, params).then((r) => r.rows);
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return runOn(this.pool, sql, params).then((r) => r.rowCount ?? 0);
  }

  async transaction<T>(fn: (tx: SqlExec) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await runOn(client, 'BEGIN');
      const result = await fn({
        query: (sql, params) => runOn(client, sql, params).then((r) => r.rows),
        run: (sql, params) => runOn(client, sql, params).then((r) => r.rowCount ?? 0),
      });
      await runOn(client, 'COMMIT');
      return result;
    } catch (err) {
      // A connection that failed or timed out is dropped (the server rolls back), not asked to ROLLBACK
      // and waited on a second time; any other error is rolled back on it.
      if (err instanceof CatalogUnavailableError) broken = err;
      else await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
      throw err;
    } finally {
      // A connection that could not roll back is discarded, never reused mid-transaction.
      client.release(broken);
    }
  }

  /**
   * Under a session advisory lock: the schema, the version table, then each missing migration in
   * its own transaction. Waiting for another node's migrations, or a migration itself, may take
   * longer than a statement normally may: the server and the client bound are both raised for
   * this session. A failure discards the session, so the lock can never stay with an idle pooled
   * connection (the lock call may still be granted after the client gave up on it).
   */
  async migrate(migrations: readonly string[]): Promise<number> {
    const client = await this.connect();
    const q = (sql: string, params?: readonly unknown[]) => runOn(client, sql, params, MIGRATION_TIMEOUT_MS + 2_000);
    let broken: Error | undefined;
    try {
      await q(`SET statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
      await q('SELECT pg_advisory_lock(?)', [MIGRATION_LOCK]);
      try {
        // Only when missing: CREATE SCHEMA needs CREATE on the database even with IF NOT EXISTS.
        if ((await q('SELECT 1 FROM pg_namespace WHERE nspname = ?', [CATALOG_SCHEMA])).rowCount === 0) {
          await q(`CREATE SCHEMA ${CATALOG_SCHEMA}`);
        }
        await q(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
        const found = Number((await q('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0].v);
        for (let v = found; v < migrations.length; v++) {
          await q('BEGIN');
          try {
            await client.query({ text: migrations[v], query_timeout: MIGRATION_TIMEOUT_MS + 2_000 } as pg.QueryConfig);
            await q('INSERT INTO schema_migrations(version) VALUES (?)', [v + 1]);
            await q('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw mapPgError(err);
          }
        }
        return found;
      } finally {
        await q('SELECT pg_advisory_unlock(?)', [MIGRATION_LOCK]).catch((e: Error) => { broken = e; });
        await q('RESET statement_timeout').catch((e: Error) => { broken = e; });
      }
    } catch (err) {
      broken ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw mapPgError(err);
    }
  }
}

/** `queryTimeoutMs`: this statement's client-side bound instead of the pool's. */
async function runOn(db: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[] = [], queryTimeoutMs?: number): Promise<pg.QueryResult> {
  try {
    const text = positional(sql);
    const values = params.map(bindable);
    return await (queryTimeoutMs === undefined ? db.query(text, values) : db.query({ text, values, query_timeout: queryTimeoutMs } as pg.QueryConfig));
  } catch (err) {
    throw mapPgError(err);
  }
}

/** `?` -> `$1, $2, ...` outside quoted literals and identifiers (the store's SQL is portable with `?`). */
export function positional(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) { if (ch === quote) quote = null; out += ch; continue; }
    if (ch === "'" || ch === '"') { quote = ch; out += ch; continue; }
    out += ch === '?' ? `$${++n}` : ch;
  }
  return out;
}
