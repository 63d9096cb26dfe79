/**
 * kill -9 of the service while a writer streams rows: on restart on the same data dir the task
 * starts again from its checkpoint and converges, and every source row is applied exactly once
 * (an ALWAYS trigger on the target logs each applied insert and update).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenDIService } from './harness/opendi-service.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { ContinuousWriter } from './harness/continuous-writer.ts';
import {
  addPostgresDataSource, createDeployedTask, createWorkspace, realtimeScript, taskCall,
  waitForEqualTables, waitForStatus, waitUntil, withDb,
} from './harness/realtime-scenario.ts';

let pgi: PgInstance;
let svc: OpenDIService;

before(async () => {
  pgi = await startPostgres();
  svc = await OpenDIService.start();
});
after(async () => { await svc?.destroy(); await pgi?.destroy(); });

test('kill -9 while writing, restart on the same data dir: converges with no loss and no duplicate apply', async () => {
  const client = svc.client();
  await pgi.createDatabase('crash_src');
  await pgi.createDatabase('crash_dst');
  const ddl = `CREATE TABLE public.events (id bigint PRIMARY KEY, payload text)`;
  await withDb(pgi, 'crash_src', (c) => c.query(ddl));
  await withDb(pgi, 'crash_dst', (c) => c.query(`${ddl};
    CREATE TABLE apply_log (op text, id bigint);
    CREATE FUNCTION log_apply() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO apply_log VALUES (TG_OP, NEW.id); RETURN NEW; END $$;
    CREATE TRIGGER events_apply AFTER INSERT OR UPDATE ON events FOR EACH ROW EXECUTE FUNCTION log_apply();
    ALTER TABLE events ENABLE ALWAYS TRIGGER events_apply;`));
  const projectId = await createWorkspace(client, 'ws_crash');
  await addPostgresDataSource(client, projectId, 'crash_src', pgi, 'crash_src');
  await addPostgresDataSource(client, projectId, 'crash_dst', pgi, 'crash_dst');
  const fileId = await createDeployedTask(client, projectId, 'crash_task', realtimeScript('crash_src', 'crash_dst', ['public.events']));
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);

  const writer = new ContinuousWriter(pgi, 'crash_src', 'public.events', 1, 50, 2);
  for (let crash = 0; crash < 2; crash++) {
    // Let rows flow into the target, then crash in the middle of it.
    await waitUntil(async () => withDb(pgi, 'crash_dst', async (c) =>
      Number((await c.query('SELECT count(*) AS n FROM events')).rows[0].n) > (crash + 1) * 1000 || undefined), 30_000, 'rows to reach the target');
    await svc.kill();
    await new Promise((r) => setTimeout(r, 500));
    await svc.restart();
    await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  }
  const written = await writer.stop();
  const rows = await waitForEqualTables(pgi, 'crash_src', pgi, 'crash_dst', 'public.events', 60_000);
  assert.equal(rows.length, written);
  const log = await withDb(pgi, 'crash_dst', async (c) =>
    (await c.query(`SELECT op, count(*)::int AS n, count(DISTINCT id)::int AS ids FROM apply_log GROUP BY op`)).rows);
  assert.deepEqual(log, [{ op: 'INSERT', n: written, ids: written }], 'each source insert applied exactly once');
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
});
