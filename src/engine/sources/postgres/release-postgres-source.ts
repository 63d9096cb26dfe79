/**
 * TerminateDISyncInstance / DeleteDISyncTask on the source: drop the slot (terminating a
 * walsender still attached to it) and the publication. Idempotent.
 */
import pg from 'pg';
import { clientConfig, delay, quoteIdent } from '../../postgres/connection.ts';
import type { PostgresSourceSpec } from './postgres-source.ts';

export async function releasePostgresSource(spec: PostgresSourceSpec, applicationName: string): Promise<void> {
  const c = new pg.Client(clientConfig(spec.endpoint, applicationName));
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
    await c.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(spec.publicationName)}`);
  } finally {
    await c.end();
  }
}
