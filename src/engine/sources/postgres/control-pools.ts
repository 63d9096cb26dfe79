/**
 * The control connections of PostgreSQL sources, shared per data source (endpoint and
 * credentials): the catalog queries, WAL samples, walsender probes and initial-load reads of every
 * task reading one source go through one bounded pool (src/engine/connection-pool.ts), so only
 * the replication stream is per task (docs/target-checkpoint.md "Connections"). The
 * last task letting go closes the pool (src/engine/shared-pools.ts).
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

/** A control pool of one source endpoint: `name` labels its connections (pg_stat_activity.application_name). */
export function controlPool(endpoint: PgEndpoint, name: string, logger: Logger, options: PoolOptions): ConnectionPool<pg.Client> {
  const label = `postgresql://${endpoint.host}:${endpoint.port}/${endpoint.database}`;
  return new ConnectionPool<pg.Client>(label,
    (onError, signal) => connectPg({ ...endpoint, connectionName: undefined }, name, onError, { query_timeout: CONTROL_QUERY_MS }, signal),
    (c) => c.end(), (c) => destroyPgSocket(c), options, logger, 'source control');
}

export class SourceControlPools {
  private readonly shared = new SharedPools<ConnectionPool<pg.Client>>((pool) => pool.end());

  constructor(private readonly logger: Logger, private readonly options: PoolOptions = DEFAULT_POOL_OPTIONS, private readonly applicationName = APPLICATION_NAME) {}

  use(endpoint: PgEndpoint): SharedUse<ConnectionPool<pg.Client>> {
    return this.shared.use(dataSourceKey('postgresql', endpoint), () => controlPool(endpoint, this.applicationName, this.logger, this.options));
  }

  /** Open connections of every pool, for the connection counts of the bench and tests. */
  sizes(): number {
    return this.shared.values().reduce((n, pool) => n + pool.size, 0);
  }
}
