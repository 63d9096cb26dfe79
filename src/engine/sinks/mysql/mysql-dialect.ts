/**
 * The MySQL/MariaDB target (sink-dialect.ts): multi-row statements of escaped literals bounded by
 * max_allowed_packet (apply-rows.ts), the checkpoint beside the data in the target data source's
 * database (checkpoint-sql.ts), sessions as session.ts sets them up.
 *
 * MySQL DDL commits implicitly: a table created while a transaction is open is created on a
 * separate session, and schema changes are applied between transactions; TRUNCATE would commit
 * too, so truncation inside the transaction is a DELETE.
 */
import type { Logger } from '../../../logger.ts';
import type { DbEndpoint } from '../../endpoint.ts';
import { destroyMySql } from '../../mysql/connection.ts';
import { endWithin } from '../../end-within.ts';
import type { SinkDialect } from '../sink-dialect.ts';
import { applyMove, planFinalRows } from './apply-rows.ts';
import { mysqlCheckpoint } from './checkpoint-sql.ts';
import { mysqlSessions } from './session-control.ts';
import { applyMySqlSchemaChange } from './schema-change.ts';
import { LOCK_WAIT_SECONDS, openSession, type MySqlSession } from './session.ts';
import { isDataError, qualified } from './sql.ts';
import { prepareTargetTable, type TargetTable } from './target-table.ts';
import { mysqlPermanentError } from './target-errors.ts';

/**
 * A side session's DDL: its lock waits end after LOCK_WAIT_SECONDS at the server (session.ts);
 * this client-side bound is for a server that stops answering altogether.
 */
const SIDE_DDL_TIMEOUT_MS = (LOCK_WAIT_SECONDS + 30) * 1000;
const SIDE_CLOSE_TIMEOUT_MS = 5_000;

export function mysqlDialect(endpoint: DbEndpoint, applicationName: string, logger: Logger): SinkDialect<MySqlSession, TargetTable> {
  /**
   * DDL on a session of its own, so the open transaction of `s` is not committed by it. Bounded
   * (connect and setup: connection.ts; the DDL: SIDE_DDL_TIMEOUT_MS; the goodbye: SIDE_CLOSE_TIMEOUT_MS);
   * a failed one is destroyed, never left open.
   */
  const separately = async (sql: string) => {
    const side = await openSession(endpoint, applicationName, (err) => logger.warn('target side session error', { error: err }));
    try {
      await side.conn.query({ sql, timeout: SIDE_DDL_TIMEOUT_MS });
    } catch (err) {
      destroyMySql(side.conn);
      throw err;
    }
    // A server that stops answering may never confirm the goodbye: the socket goes after the bound.
    await endWithin(side.conn.end(), SIDE_CLOSE_TIMEOUT_MS, () => destroyMySql(side.conn));
  };
  return {
    transactionalDdl: false,
    beginStatement: 'START TRANSACTION',
    checkpoint: mysqlCheckpoint(endpoint.database),
    sessions: mysqlSessions,
    connect: (onError, signal) => openSession(endpoint, applicationName, onError, signal),
    exec: async (s, sql) => { await s.conn.query(sql); },
    end: (s) => s.conn.end(),
    destroy: (s) => destroyMySql(s.conn),
    isDataError,
    permanentError: (err) => mysqlPermanentError(err, endpoint),
    prepareTable: (s, relation, target, describe, inTransaction) =>
      prepareTargetTable(s.conn, inTransaction ? separately : async (sql) => { await s.conn.query(sql); }, relation, target, describe),
    applySchemaChange: applyMySqlSchemaChange,
    truncate: async (s, targets) => {
      const statements = targets.map((t) => `DELETE FROM ${qualified(t.schema, t.table)}`);
      for (const sql of statements) await s.conn.query(sql);
      return statements;
    },
    planRows: (t, rows, laned) => planFinalRows(t, rows, logger, laned),
    applyMove,
  };
}
