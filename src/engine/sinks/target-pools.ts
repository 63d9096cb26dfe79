/**
 * The shared target connection pools of one service, one per data source (kind, endpoint and
 * credentials; src/engine/connection-pool.ts). A sink `use`s the pool of its target and lets go of
 * it when it closes; the last sink letting go closes the pool's connections (shared-pools.ts). Each
 * pool has one dialect, so session setup and prepared statement names are shared by every task
 * using its connections.
 */
import type { Logger } from '../../logger.ts';
import type { DbEndpoint } from '../endpoint.ts';
import { ConnectionPool, DEFAULT_POOL_OPTIONS, type PoolOptions } from '../connection-pool.ts';
import { dataSourceKey, SharedPools } from '../shared-pools.ts';
import { dialectFor } from './dialect-for.ts';
import type { PreparedTable, SinkDialect } from './sink-dialect.ts';

export interface PoolUse {
  dialect: SinkDialect<unknown, PreparedTable>;
  pool: ConnectionPool<unknown>;
  /** This user is done with the pool (idempotent). */
  release(): void;
}

interface Entry { dialect: SinkDialect<unknown, PreparedTable>; pool: ConnectionPool<unknown> }

/** What DBAs see for the shared connections (several tasks use each); a cluster node adds its name. */
const APPLICATION_NAME = 'opendi:target-pool';

export class TargetPools {
  private readonly shared = new SharedPools<Entry>((e) => e.pool.end());

  constructor(private readonly logger: Logger, private readonly options: PoolOptions = DEFAULT_POOL_OPTIONS, private readonly applicationName = APPLICATION_NAME) {}

  /** `lanes`: the user's parallel lanes; the pool holds at least that many connections. */
  use(kind: 'postgresql' | 'mysql', endpoint: DbEndpoint, lanes = 1): PoolUse {
    const { value, release } = this.shared.use(dataSourceKey(kind, endpoint), () => {
      // Several tasks share these connections: the first task's own name (endpoint.connectionName) would mislabel them.
      const dialect = dialectFor(kind, { ...endpoint, connectionName: undefined }, this.applicationName, this.logger);
      const label = `${kind}://${endpoint.host}:${endpoint.port}/${endpoint.database}`;
      const pool = new ConnectionPool<unknown>(label, (onError, signal) => dialect.connect(onError, signal), (c) => dialect.end(c),
        (c) => dialect.destroy(c), this.options, this.logger);
      return { dialect, pool };
    });
    value.pool.ensureCapacity(lanes);
    return { dialect: value.dialect, pool: value.pool, release };
  }

  /** Open connections of every pool, for the connection counts of the bench and tests. */
  sizes(): number {
    return this.shared.values().reduce((n, e) => n + e.pool.size, 0);
  }
}
