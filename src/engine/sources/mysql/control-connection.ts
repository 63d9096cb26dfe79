/**
 * The source's plain SQL connections (the control connection, the one that KILLs a stale dump
 * thread): an 'error' listener from the first moment, and every network step bounded (the login by
 * mysql2's connectTimeout, at most `timeoutMs`; each statement by `timeoutMs`), so that a server that hangs up, sends
 * garbage or goes silent after the login fails the source instead of crashing or hanging the
 * service. A statement past its bound destroys the connection (mysql2 would keep the connection
 * busy with it forever).
 */
import mysql from 'mysql2/promise';
import type { DbEndpoint } from '../../endpoint.ts';
import { SESSION_SETUP, mysqlConnectionOptions } from '../../mysql/connection.ts';
import type { Queryable } from './table-info.ts';

/** A bound on one statement of the control connection; generous: information_schema on a big server, or a 10,000-row chunk, can take seconds. */
export const STATEMENT_TIMEOUT_MS = 60_000;

export interface ControlConnection extends Queryable {
  /** A prepared statement with rows as arrays (the binary protocol: exact FLOAT/DOUBLE bits). */
  executeRows(sql: string, params: (string | null)[]): Promise<unknown[][]>;
  end(): Promise<void>;
  destroy(): void;
}

export class StatementTimeoutError extends Error {
  override name = 'StatementTimeoutError';
  readonly code = 'ETIMEDOUT';
}

/**
 * `onError`: a failure of the connection outside any statement (the server went away while it
 * idled); statements reject on their own.
 */
export async function openControlConnection(endpoint: DbEndpoint, onError: (err: Error) => void, timeoutMs = STATEMENT_TIMEOUT_MS): Promise<ControlConnection> {
  const options = mysqlConnectionOptions(endpoint);
  const c = await mysql.createConnection({ ...options, connectTimeout: Math.min(options.connectTimeout ?? timeoutMs, timeoutMs) });
  c.on('error', onError);
  const bounded = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    const pending = run();
    pending.catch(() => undefined); // it may settle after the bound, when nobody waits for it any more
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        c.destroy();
        reject(new StatementTimeoutError(`the source MySQL server did not answer within ${timeoutMs} ms: ${what.slice(0, 100)}`));
      }, timeoutMs);
    });
    try { return await Promise.race([pending, timedOut]); } finally { clearTimeout(timer); }
  };
  const control: ControlConnection = {
    query: (sql, params) => bounded(sql, () => c.query(sql, params) as Promise<[any, any]>),
    executeRows: async (sql, params) => (await bounded(sql, () => c.execute({ sql, rowsAsArray: true }, params)))[0] as unknown[][],
    end: async () => { await bounded('end', () => c.end()).catch(() => c.destroy()); },
    destroy: () => c.destroy(),
  };
  try {
    for (const s of SESSION_SETUP) await control.query(s);
  } catch (err) {
    c.destroy();
    throw err;
  }
  return control;
}
