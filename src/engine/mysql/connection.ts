/**
 * Connection settings and SQL quoting shared by the MySQL/MariaDB source and sink.
 *
 * Values must come back as exact text, never as JS numbers or Dates: BIGINT/DECIMAL as strings
 * (supportBigNumbers + bigNumberStrings), dates as the server's strings (dateStrings). The session
 * JSON (MySQL's type and MariaDB's extended type info) stays text (jsonStrings), so big numbers
 * in it keep their digits. The session
 * time zone is pinned to UTC so TIMESTAMP columns read as UTC instants, the canonical form of
 * change-event.ts, whatever the server's default zone is.
 */
import type mysql from 'mysql2';
import type { DbEndpoint } from '../endpoint.ts';

/** Options for mysql2's createConnection (callback or promise API). */
export function mysqlConnectionOptions(e: DbEndpoint): mysql.ConnectionOptions {
  return {
    host: e.host, port: e.port, user: e.user, password: e.password ?? '', database: e.database,
    charset: 'utf8mb4_general_ci', supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, jsonStrings: true,
    timezone: 'Z', connectTimeout: 10_000, enableKeepAlive: true, multipleStatements: false,
  };
}

/** Statements every session runs first (UTC timestamps, no surprises from sql_mode on reads). */
export const SESSION_SETUP = [`SET time_zone = '+00:00'`, `SET NAMES utf8mb4`];

export function quoteIdent(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`';
}

export function qualifiedName(t: { schema: string; table: string }): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

/** `SELECT VERSION()` of MariaDB contains "MariaDB"; MySQL's does not. */
export function isMariaDbVersion(version: string): boolean {
  return /mariadb/i.test(version);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
