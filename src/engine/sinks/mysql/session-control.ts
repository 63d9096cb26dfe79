/**
 * Other sessions of a MySQL/MariaDB target, for the forced path's fence raise (raise-fence.ts).
 * Who blocks a waiting session: information_schema.INNODB_LOCK_WAITS and INNODB_TRX (MariaDB; they
 * need the PROCESS privilege). A session's name: its program_name connect attribute in
 * performance_schema.session_connect_attrs, readable only with performance_schema on (MariaDB's
 * default is off): without it `named` is false. Ending one: KILL CONNECTION (a session of the same
 * user, or with CONNECTION ADMIN / SUPER).
 *
 * MySQL 8.0 dropped INNODB_LOCK_WAITS (performance_schema.data_lock_waits replaced it): there the
 * lookup fails, no session is ended, and the fence raise reports the wait as before.
 */
import type { LockHolder, SessionControl } from '../sink-dialect.ts';
import type { MySqlSession } from './session.ts';

const QUERY_TIMEOUT_MS = 5_000;

async function query<R>(s: MySqlSession, sql: string, values: unknown[] = []): Promise<R[]> {
  const [rows] = await s.conn.query({ sql, values, timeout: QUERY_TIMEOUT_MS });
  return rows as R[];
}

interface Row { id: string | number; user: string | null; command: string | null; time_ms: string | number | null; trx_query: string | null; trx_state: string | null }

export const mysqlSessions: SessionControl<MySqlSession> = {
  async sessionId(s) {
    return Number((await query<{ id: string | number }>(s, 'SELECT CONNECTION_ID() AS id'))[0].id);
  },

  async blockers(s, waiter) {
    const rows = await query<Row>(s,
      `SELECT DISTINCT b.trx_mysql_thread_id AS id, p.USER AS user, p.COMMAND AS command, p.TIME_MS AS time_ms, b.trx_query, b.trx_state
         FROM information_schema.INNODB_LOCK_WAITS w
         JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
         JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
         LEFT JOIN information_schema.PROCESSLIST p ON p.ID = b.trx_mysql_thread_id
        WHERE r.trx_mysql_thread_id = ?`, [waiter]);
    const names = await programNames(s, rows.map((r) => Number(r.id)));
    const holders = rows.map((r): LockHolder => {
      const idle = r.command === 'Sleep' && r.trx_query === null;
      return {
        id: Number(r.id), name: names?.get(Number(r.id)) ?? null, user: r.user, idle,
        idleMs: idle && r.time_ms !== null ? Math.floor(Number(r.time_ms)) : null,
        state: `${idle ? 'idle in transaction' : (r.command ?? 'unknown').toLowerCase()}${r.trx_state ? `, trx ${r.trx_state.toLowerCase()}` : ''}`,
      };
    });
    return { holders, named: names !== null };
  },

  async endSession(s, id) {
    await query(s, `KILL CONNECTION ${Math.floor(id)}`);
  },
};

/** id -> program_name; null when the server cannot tell (performance_schema off, or not readable). */
async function programNames(s: MySqlSession, ids: number[]): Promise<Map<number, string> | null> {
  try {
    const [on] = await query<{ on: string | number }>(s, 'SELECT @@performance_schema AS `on`');
    if (Number(on.on) !== 1) return null;
    if (ids.length === 0) return new Map();
    const rows = await query<{ id: string | number; name: string }>(s,
      `SELECT PROCESSLIST_ID AS id, ATTR_VALUE AS name FROM performance_schema.session_connect_attrs
        WHERE ATTR_NAME = 'program_name' AND PROCESSLIST_ID IN (?)`, [ids]);
    return new Map(rows.map((r) => [Number(r.id), r.name]));
  } catch {
    return null;
  }
}
