/**
 * The PostgreSQL target (sink-dialect.ts): set-based statements over unnest (apply-rows.ts),
 * transactional DDL, the checkpoint in the target database's `opendi` schema (checkpoint-sql.ts).
 *
 * Session: synchronous_commit=on (the source is acknowledged right after our commit, so the
 * commit must be durable whatever the server's default); lock_timeout ROW_LOCK_WAIT_MS, so a row
 * or table another session keeps locked (an idle-in-transaction psql) fails the statement
 * retryably instead of holding the task for ever, as MySQL sink sessions bound theirs
 * (mysql/session.ts); and, like native logical replication, session_replication_role=replica so
 * ordinary triggers and FK checks do not fire (superuser only; best effort). Values travel as
 * text in the canonical forms (postgres/connection.ts).
 */
import type pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import { connectPg, destroyPgSocket, qualifiedName, sessionOptions, setUpPgSession } from '../../postgres/connection.ts';
import type { SinkDialect } from '../sink-dialect.ts';
import { applyMove, planFinalRows } from './apply-rows.ts';
import { postgresCheckpoint } from './checkpoint-sql.ts';
import { postgresSessions } from './session-control.ts';
import { applyPgSchemaChange } from './schema-change.ts';
import { prepareTargetTable, type TargetTable } from './target-table.ts';
import { pgPermanentError } from './target-errors.ts';

/** SQLSTATE classes of errors caused by a row's data: 22 data exception, 23 integrity constraint violation. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** How long a sink statement waits for a lock (the MySQL sink's innodb_lock_wait_timeout is the same 50 s). */
export const ROW_LOCK_WAIT_MS = 50_000;

export function postgresDialect(endpoint: PgEndpoint, applicationName: string, logger: Logger): SinkDialect<pg.Client, TargetTable> {
  let prepared = 0;
  return {
    transactionalDdl: true,
    beginStatement: 'BEGIN',
    checkpoint: postgresCheckpoint(endpoint.database),
    sessions: postgresSessions,
    async connect(onError, signal) {
      // A startup setting, not a SET: the checkpoint statements' `SET LOCAL lock_timeout TO DEFAULT` returns to it.
      const c = await connectPg(endpoint, applicationName, onError, { options: sessionOptions([`lock_timeout=${ROW_LOCK_WAIT_MS}`]) }, signal);
      try {
        await setUpPgSession(c, [`SET synchronous_commit = on`], signal);
        // Best effort: the server's refusal leaves the session usable (outside a transaction); a timeout or an abort does not.
        await setUpPgSession(c, [`SET session_replication_role = replica`], signal).catch((err) => {
          if ((err as { code?: unknown }).code === undefined) throw err;
          logger.info('target session runs without session_replication_role=replica (needs superuser); target triggers fire');
        });
      } catch (err) {
        destroyPgSocket(c);
        throw err;
      }
      return c;
    },
    exec: async (c, sql) => { await c.query(sql); },
    end: (c) => c.end(),
    destroy: destroyPgSocket,
    isDataError,
    permanentError: (err) => pgPermanentError(err, endpoint),
    prepareTable: (c, relation, target, describe, inTransaction) => prepareTargetTable(c, relation, target, describe, `opendi_t${++prepared}`, inTransaction),
    applySchemaChange: applyPgSchemaChange,
    truncate: async (c, targets) => {
      const sql = `TRUNCATE ${targets.map(qualifiedName).join(', ')}`;
      await c.query(sql);
      return [sql];
    },
    // `laned` needs nothing here: reads never wait in PostgreSQL (MVCC), so a statement waits only on the rows it
    // writes, which no other lane writes, or on a unique index or foreign key check, whose tables the lanes route
    // whole (PreparedTable.coupling, lane-routing.ts).
    planRows: planFinalRows,
    applyMove,
  };
}
