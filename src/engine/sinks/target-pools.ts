/**
 * The shared target connection pools of one service, one per data source (kind, endpoint and
 * credentials; connection-pool.ts). A sink `use`s the pool of its target and lets go of it when it
 * closes; the last sink letting go closes the pool's connections. Each pool has one dialect, so
 * session setup and prepared statement names are shared by every task using its connections.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../logger.ts';
import type { DbEndpoint } from '../endpoint.ts';
import { ConnectionPool, DEFAULT_POOL_OPTIONS, type PoolOptions } from './connection-pool.ts';
import { dialectFor } from './dialect-for.ts';
import type { PreparedTable, SinkDialect } from './sink-dialect.ts';

export interface PoolUse {
  dialect: SinkDialect<unknown, PreparedTable>;
  pool: ConnectionPool<unknown>;
  /** This user is done with the pool (idempotent). */
  release(): void;
}

interface Entry { users: number; dialect: SinkDialect<unknown, PreparedTable>; pool: ConnectionPool<unknown> }

/** What DBAs see for the shared connections (several tasks use each); a cluster node adds its name. */
const APPLICATION_NAME = 'opendi:target-pool';

export class TargetPools {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly logger: Logger, private readonly options: PoolOptions = DEFAULT_POOL_OPTIONS, private readonly applicationName = APPLICATION_NAME) {}

  /** `lanes`: the user's parallel lanes; the pool holds at least that many connections. */
  use(kind: 'postgresql' | 'mysql', endpoint: DbEndpoint, lanes = 1): PoolUse {
    const key = keyOf(kind, endpoint);
    let entry = this.entries.get(key);
    if (!entry) {
      // Several tasks share these connections: the first task's own name (endpoint.connectionName) would mislabel them.
      const dialect = dialectFor(kind, { ...endpoint, connectionName: undefined }, this.applicationName, this.logger);
      const label = `${kind}://${endpoint.host}:${endpoint.port}/${endpoint.database}`;
      const pool = new ConnectionPool<unknown>(label, (onError, signal) => dialect.connect(onError, signal), (c) => dialect.end(c),
        (c) => dialect.destroy(c), this.options, this.logger);
      entry = { users: 0, dialect, pool };
      this.entries.set(key, entry);
    }
    entry.users++;
    entry.pool.ensureCapacity(lanes);
    const used = entry;
    let released = false;
    return {
      dialect: used.dialect, pool: used.pool,
      release: () => {
        if (released) return;
        released = true;
        if (--used.users > 0) return;
        if (this.entries.get(key) === used) this.entries.delete(key);
        void used.pool.end();
      },
    };
  }

  /** Open connections per pool (label -> count), for the connection counts of the bench and tests. */
  sizes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.pool.size;
    return n;
  }
}

/** The password is hashed into the key: never kept in a second place in clear. */
function keyOf(kind: string, e: DbEndpoint): string {
  const secret = createHash('sha256').update(e.password ?? '').digest('hex');
  return JSON.stringify([kind, e.host, e.port, e.database, e.user, secret, e.tls ?? null]);
}
