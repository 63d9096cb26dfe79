/**
 * TerminateDISyncInstance / DeleteDISyncTask on the source: drop the slot (terminating a
 * walsender still attached to it) and the task's own publication; a publication the DBA created
 * is left alone. Idempotent; every step bounded.
 */
import pg from 'pg';
import { clientConfig, delay, quoteIdent } from '../../postgres/connection.ts';
import type { PostgresSourceSpec } from './postgres-source.ts';

const QUERY_TIMEOUT_MS = 30_000;

export async function releasePostgresSource(spec: PostgresSourceSpec, applicationName: string): Promise<void> {
  const c = new pg.Client({ ...clientConfig(spec.endpoint, applicationName), query_timeout: QUERY_TIMEOUT_MS });
  let lost: Error | undefined;
  c.on('error', (err) => { lost = err; }); // the next query rejects too; this only keeps the process alive
  try {
    await c.connect();
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') return; // the database itself is gone, and with it slot and publication
    throw err;
  }
  try {
    for (let attempt = 0; ; attempt++) {
      const r = (await c.query(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, [spec.slotName])).rows[0];
      if (!r) break;
      if (attempt > 200) throw new Error(`the replication slot ${spec.slotName} stayed active; could not drop it`);
      try {
        if (r.active_pid) await c.query(`SELECT pg_terminate_backend($1)`, [r.active_pid]);
        else { await c.query(`SELECT pg_drop_replication_slot($1)`, [spec.slotName]); break; }
      } catch (err) {
        // 55006: still active (the walsender is exiting); 42704: dropped meanwhile.
        const code = (err as { code?: string }).code;
        if (code === '42704') break;
        if (code !== '55006') throw err;
      }
      await delay(50);
    }
    if (!spec.externalPublication) await c.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(spec.publicationName)}`);
  } catch (err) {
    throw lost ?? err;
  } finally {
    await c.end().catch(() => undefined);
  }
}
