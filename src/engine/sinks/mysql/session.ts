/**
 * A session of the MySQL/MariaDB sink: utf8mb4, time zone UTC (DATETIME/TIMESTAMP values are UTC
 * wall times), strict SQL mode (overflow, too long and invalid values are errors, never silently
 * changed), READ COMMITTED, foreign_key_checks=0 (like a replica). Durability of a commit is the
 * server's innodb_flush_log_at_trx_commit (1 for crash-safe commits; 2 survives a mysqld crash,
 * not an OS crash). Statements are bounded by the server's max_allowed_packet. Lock waits are
 * bounded whatever the server's defaults: row locks by innodb_lock_wait_timeout (its default, 50 s),
 * metadata locks by lock_wait_timeout (default a year: a stray LOCK TABLES would hang a checkpoint
 * claim); a wait that ends fails the statement with ER_LOCK_WAIT_TIMEOUT (1205, retryable).
 */
import mysql, { type Connection } from 'mysql2/promise';
import type { DbEndpoint } from '../../endpoint.ts';
import { connectMySql, destroyMySql, SETUP_TIMEOUT_MS } from '../../mysql/connection.ts';

export interface MySqlSession {
  conn: Connection;
  /** Upper bound of one statement's text, in UTF-16 code units. */
  maxStatementChars: number;
}

/** Seconds a statement waits for a lock held by another session. */
export const LOCK_WAIT_SECONDS = 50;

const SESSION_SETUP = [
  `SET NAMES utf8mb4, time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO', foreign_key_checks = 0, `
    + `innodb_lock_wait_timeout = ${LOCK_WAIT_SECONDS}, lock_wait_timeout = ${LOCK_WAIT_SECONDS}`,
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
];
/** Statement text bound: 4 Mi code units, and at most a third of max_allowed_packet (UTF-8 takes up to 3 bytes per unit). */
const MAX_STATEMENT_CHARS = 4 * 1024 * 1024;

/**
 * mysql2 scans every statement for placeholders, also when no values are bound; the sink's
 * multi-row statements are megabytes of already escaped literals, so skip the scan for them.
 */
function formatOnlyWithValues(sql: string, values: unknown): string {
  return Array.isArray(values) && values.length > 0 ? mysql.format(sql, values) : sql;
}

/** `signal`: the caller gave up (src/engine/connection-pool.ts); the half-open session is destroyed. */
export async function openSession(endpoint: DbEndpoint, applicationName: string, onError: (err: Error) => void, signal?: AbortSignal): Promise<MySqlSession> {
  const conn = await connectMySql(endpoint, onError, SESSION_SETUP, {
    charset: 'utf8mb4_bin', jsonStrings: false, timezone: 'local', connectAttributes: { program_name: endpoint.connectionName ?? applicationName }, queryFormat: formatOnlyWithValues,
  }, signal);
  try {
    const [rows] = await conn.query({ sql: 'SELECT @@max_allowed_packet AS m', timeout: SETUP_TIMEOUT_MS });
    const packet = Number((rows as { m: string }[])[0].m);
    return { conn, maxStatementChars: Math.max(64 * 1024, Math.min(MAX_STATEMENT_CHARS, Math.floor((packet - 1024) / 3))) };
  } catch (err) {
    destroyMySql(conn);
    throw err;
  }
}
