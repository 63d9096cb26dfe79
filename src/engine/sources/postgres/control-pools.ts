/**
 * The control connections of PostgreSQL sources, shared (docs/target-checkpoint.md "Connections"):
 * - per data source (endpoint and credentials): the catalog queries, publication changes and
 *   initial-load reads of every task reading one database;
 * - per server (address, user, credentials): the server-wide queries every streaming task makes,
 *   the once-a-second WAL position sample and the walsender probe, so tasks of different
 *   databases of one server share those connections too, and a database's own pool closes when its
 *   tasks only stream.
 * So only the replication stream is per task. Each pool is bounded (src/engine/connection-pool.ts);
 * the last task letting go closes it (src/engine/shared-pools.ts).
 */
import type pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import { ConnectionPool, DEFAULT_POOL_OPTIONS, type PoolOptions } from '../../connection-pool.ts';
import { connectPg, destroyPgSocket } from '../../postgres/connection.ts';
import { dataSourceKey, SharedPools, type SharedUse } from '../../shared-pools.ts';

/** Bound of the catalog queries and status probes on a control connection. */
export const CONTROL_QUERY_MS = 30_000;

/** What DBAs see for the shared connections; a cluster node adds its name. */
const APPLICATION_NAME = 'opendi:source-pool';

/**
 * The database the server-wide queries connect to: the maintenance database, so that no task's
 * database is held open by the queries of other tasks (DROP DATABASE refuses a database with
 * connections). A user that may not connect there uses the first task's own database instead.
 */
const SERVER_DATABASE = 'postgres';
/** The server refuses the database to this user: no such database (3D000), no CONNECT (42501), pg_hba (28000). */
const DATABASE_REFUSED = new Set(['3D000', '42501', '28000']);

/** A pool of control connections, each to `database()` on the endpoint's server: `name` labels them (pg_stat_activity.application_name). */
function pgPool(label: string, endpoint: PgEndpoint, database: () => string, name: string, logger: Logger, options: PoolOptions, retry?: (err: unknown) => boolean) {
  const open = (onError: (err: Error) => void, signal: AbortSignal) =>
    connectPg({ ...endpoint, database: database(), connectionName: undefined }, name, onError, { query_timeout: CONTROL_QUERY_MS }, signal);
  return new ConnectionPool<pg.Client>(label, async (onError, signal) => {
    try {
      return await open(onError, signal);
    } catch (err) {
      if (!retry?.(err)) throw err;
      return open(onError, signal);
    }
  }, (c) => c.end(), (c) => destroyPgSocket(c), options, logger, 'source control');
}

/** A control pool of one source endpoint (its own database). */
export function controlPool(endpoint: PgEndpoint, name: string, logger: Logger, options: PoolOptions): ConnectionPool<pg.Client> {
  return pgPool(`postgresql://${endpoint.host}:${endpoint.port}/${endpoint.database}`, endpoint, () => endpoint.database, name, logger, options);
}

/** A pool of one server's connections for the server-wide queries, on SERVER_DATABASE when the user may connect there. */
export function serverPool(endpoint: PgEndpoint, name: string, logger: Logger, options: PoolOptions): ConnectionPool<pg.Client> {
  let database = SERVER_DATABASE;
  return pgPool(`postgresql://${endpoint.host}:${endpoint.port}`, endpoint, () => database, name, logger, options, (err) => {
    if (database === endpoint.database || !DATABASE_REFUSED.has((err as { code?: string }).code ?? '')) return false;
    logger.info('the source user may not connect to the maintenance database; server-wide queries use the task\'s own database', { database: endpoint.database });
    database = endpoint.database;
    return true;
  });
}

export class SourceControlPools {
  private readonly shared = new SharedPools<ConnectionPool<pg.Client>>((pool) => pool.end());

  constructor(private readonly logger: Logger, private readonly options: PoolOptions = DEFAULT_POOL_OPTIONS, private readonly applicationName = APPLICATION_NAME) {}

  use(endpoint: PgEndpoint): SharedUse<ConnectionPool<pg.Client>> {
    return this.shared.use(dataSourceKey('postgresql', endpoint), () => controlPool(endpoint, this.applicationName, this.logger, this.options));
  }

  /** The pool of the endpoint's server (any database), for the server-wide queries. */
  useServer(endpoint: PgEndpoint): SharedUse<ConnectionPool<pg.Client>> {
    return this.shared.use(dataSourceKey('postgresql-server', { ...endpoint, database: '' }), () => serverPool(endpoint, this.applicationName, this.logger, this.options));
  }

  /** Open connections of every pool, for the connection counts of the bench and tests. */
  sizes(): number {
    return this.shared.values().reduce((n, pool) => n + pool.size, 0);
  }
}
