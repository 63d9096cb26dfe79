/** The sink dialect of a target kind (one place chooses it: a task's own sink and the shared pools). */
import type { Logger } from '../../logger.ts';
import type { DbEndpoint } from '../endpoint.ts';
import { mysqlDialect } from './mysql/mysql-dialect.ts';
import { postgresDialect } from './postgres/postgres-dialect.ts';
import type { PreparedTable, SinkDialect } from './sink-dialect.ts';

export function dialectFor(kind: 'postgresql' | 'mysql', endpoint: DbEndpoint, applicationName: string, logger: Logger): SinkDialect<unknown, PreparedTable> {
  return (kind === 'postgresql'
    ? postgresDialect(endpoint, applicationName, logger)
    : mysqlDialect(endpoint, applicationName, logger)) as SinkDialect<unknown, PreparedTable>;
}
