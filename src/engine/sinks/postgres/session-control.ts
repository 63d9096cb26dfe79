/**
 * Other sessions of a PostgreSQL target, for the forced path's fence raise (raise-fence.ts): who
 * blocks a waiting session (pg_blocking_pids: the holders of the lock it waits for, PostgreSQL
 * docs "System Information Functions"), named by pg_stat_activity.application_name, and ending one
 * (pg_terminate_backend: allowed for sessions of the same role, or with pg_signal_backend).
 */
import type pg from 'pg';
import type { LockHolder, SessionControl } from '../sink-dialect.ts';

/** Each statement's client-side bound: these are catalog views, answered at once by a live server. */
const QUERY_TIMEOUT_MS = 5_000;

async function query<R>(c: pg.Client, text: string, values: unknown[] = []): Promise<R[]> {
  // query_timeout per query: pg (client.js) reads it, its typings lack it.
  return (await c.query({ text, values, query_timeout: QUERY_TIMEOUT_MS } as pg.QueryConfig)).rows as R[];
}

export const postgresSessions: SessionControl<pg.Client> = {
  async sessionId(c) {
    return (await query<{ pid: number }>(c, 'SELECT pg_backend_pid() AS pid'))[0].pid;
  },

  async blockers(c, waiter) {
    const rows = await query<{ pid: number; application_name: string | null; usename: string | null; state: string | null; idle_ms: string | null }>(c,
      `SELECT a.pid, a.application_name, a.usename, a.state,
              (extract(epoch FROM clock_timestamp() - a.state_change) * 1000)::bigint AS idle_ms
         FROM unnest(pg_blocking_pids($1)) AS b(pid) JOIN pg_stat_activity a ON a.pid = b.pid ORDER BY a.pid`, [waiter]);
    const holders = rows.map((r): LockHolder => {
      const idle = r.state === 'idle in transaction';
      return { id: r.pid, name: r.application_name || null, user: r.usename, idle, idleMs: idle && r.idle_ms !== null ? Number(r.idle_ms) : null, state: r.state ?? 'no state' };
    });
    return { holders, named: true };
  },

  async endSession(c, id) {
    const [r] = await query<{ ended: boolean }>(c, 'SELECT pg_terminate_backend($1) AS ended', [id]);
    if (!r?.ended) throw new Error(`pg_terminate_backend(${id}) did not end the session (it is gone already, or not ours to end)`);
  },
};
