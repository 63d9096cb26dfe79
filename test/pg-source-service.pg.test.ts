/**
 * The PostgreSQL source through the API (issue 13 defect 1, issue 8 item 4): a walsender frozen
 * with SIGSTOP while rows are written must not look healthy (the delay grows, the stall is
 * reported, the task reconnects and converges after SIGCONT, with the default bounds); a user who
 * does not own the tables is refused by the config check with the fix, works with a publication
 * created by the DBA, and a privilege lost after creation fails the start at once (FAILED, not a
 * WAIT loop).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenDIService } from './harness/opendi-service.ts';
import type { PgInstance } from './harness/postgres.ts';
import { startPgServiceEnv, type PgServiceEnv } from './harness/pg-service-env.ts';
import {
  addPostgresDataSource, call, createDeployedTask, instanceInfo, realtimeScript, taskCall, waitForEqualTables, waitForStatus, waitUntil, withDb,
} from './harness/realtime-scenario.ts';

let env: PgServiceEnv;
let pgi: PgInstance;
let svc: OpenDIService;
let projectId: number;

before(async () => { env = await startPgServiceEnv('ws_pgsrc'); ({ pgi, svc, projectId } = env); });
after(async () => { await env?.destroy(); });

const walsenderOf = async (fileId: number): Promise<number | null> => withDb(pgi, 'postgres', async (c) =>
  (await c.query(`SELECT active_pid FROM pg_replication_slots WHERE slot_name LIKE $1`, [`%\\_${fileId}`])).rows[0]?.active_pid ?? null);

test('a frozen walsender (SIGSTOP) while rows are written: the delay grows within seconds, the stall is reported, the task reconnects and converges after SIGCONT', async () => {
  const client = svc.client();
  await pgi.createDatabase('frz_src');
  await pgi.createDatabase('frz_dst');
  await withDb(pgi, 'frz_src', (c) => c.query(`CREATE TABLE events (id bigint PRIMARY KEY, v text)`));
  await addPostgresDataSource(client, projectId, 'frz_src', pgi, 'frz_src');
  await addPostgresDataSource(client, projectId, 'frz_dst', pgi, 'frz_dst');
  const fileId = await createDeployedTask(client, projectId, 'frz_task', realtimeScript('frz_src', 'frz_dst', ['public.events']));
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await withDb(pgi, 'frz_src', (c) => c.query(`INSERT INTO events SELECT g, 'before' FROM generate_series(1, 10) g`));
  await waitForEqualTables(pgi, 'frz_src', pgi, 'frz_dst', 'public.events');
  await waitUntil(async () => (await instanceInfo(client, projectId, fileId)).Metrics.DelaySeconds === 0 || undefined, 15_000, 'delay 0');

  const pid = await walsenderOf(fileId);
  assert.ok(pid, 'the task streams');
  process.kill(pid, 'SIGSTOP');
  const frozenAt = Date.now();
  let next = 11;
  const writer = setInterval(() => {
    withDb(pgi, 'frz_src', (c) => c.query(`INSERT INTO events VALUES ($1, 'while frozen')`, [next++])).catch(() => undefined);
  }, 500);
  try {
    const delayShown = await waitUntil(async () => {
      const info = await instanceInfo(client, projectId, fileId);
      return info.Metrics.DelaySeconds > 0 ? Date.now() - frozenAt : undefined;
    }, 30_000, 'a delay while frozen');
    const growing = (await instanceInfo(client, projectId, fileId)).Metrics.DelaySeconds;
    const stalled = await waitUntil(async () => {
      const info = await instanceInfo(client, projectId, fileId);
      if (info.Status === 'RUN') assert.ok(info.Metrics.DelaySeconds > 0, `RUN while frozen must show a delay (${info.Metrics.DelaySeconds})`);
      return info.Status === 'WAIT' && /stalled/.test(info.Message) ? { ms: Date.now() - frozenAt, message: info.Message } : undefined;
    }, 90_000, 'the stall to be reported');
    assert.match(stalled.message, /the replication stream stalled: the walsender sent nothing for \d+ s and did not answer our status pings/);
    assert.match(svc.log, /"code":"SOURCE_STALLED"/, 'the stall is in the task\'s event log');
    console.log(`# frozen walsender: delay shown after ${delayShown} ms (then ${growing} s), stall reported after ${stalled.ms} ms`);
  } finally {
    clearInterval(writer);
    try { process.kill(pid, 'SIGCONT'); } catch { /* exited */ }
  }
  const resumedAt = Date.now();
  await waitForStatus(client, projectId, fileId, ['RUN'], 90_000);
  await waitForEqualTables(pgi, 'frz_src', pgi, 'frz_dst', 'public.events', 60_000);
  await waitUntil(async () => (await instanceInfo(client, projectId, fileId)).Metrics.DelaySeconds === 0 || undefined, 15_000, 'delay 0 again');
  console.log(`# after SIGCONT: converged within ${Date.now() - resumedAt} ms`);
  assert.notEqual(await walsenderOf(fileId), pid, 'a new walsender streams');
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});

/** Generate -> Query for a script; the process result (Status, Message). */
async function configCheck(script: string): Promise<{ Status: string; Message: string }> {
  const client = svc.client();
  const gen = await call(client, 'GenerateDISyncTaskConfigForCreating', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: script });
  return waitUntil(async () => {
    const q = await call(client, 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: gen.Data.ProcessId });
    return q.Data.Status === 'running' ? undefined : q.Data;
  }, 20_000, 'config process');
}

test('a user who does not own the tables: the config check names the fix, a DBA publication works, a privilege lost later fails the start at once', async () => {
  const client = svc.client();
  await pgi.createDatabase('lp_src');
  await pgi.createDatabase('lp_dst');
  await withDb(pgi, 'lp_src', (c) => c.query(`
    CREATE ROLE lp_reader LOGIN REPLICATION;
    CREATE TABLE orders (id bigint PRIMARY KEY, v text);
    CREATE TABLE mine (id bigint PRIMARY KEY, v text);
    ALTER TABLE mine OWNER TO lp_reader;
    GRANT SELECT ON orders TO lp_reader;
    GRANT CREATE ON DATABASE lp_src TO lp_reader;`));
  await call(client, 'CreateDataSource', {
    ProjectId: projectId, Name: 'lp_src', DataSourceType: 'postgresql', EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: pgi.jdbcUrl('lp_src'), username: 'lp_reader', password: 'unused-with-trust-auth' }),
  });
  await addPostgresDataSource(client, projectId, 'lp_dst', pgi, 'lp_dst');

  const refused = await configCheck(realtimeScript('lp_src', 'lp_dst', ['public.orders']));
  assert.equal(refused.Status, 'fail');
  assert.match(refused.Message, /lp_reader does not own source table public\.orders.*ALTER TABLE public\.orders OWNER TO lp_reader.*"publication"/);

  await withDb(pgi, 'lp_src', (c) => c.query(`CREATE PUBLICATION lp_pub FOR TABLE orders`));
  const withPublication = JSON.parse(realtimeScript('lp_src', 'lp_dst', ['public.orders']));
  withPublication.steps[0].parameter.publication = 'lp_pub';
  const fileId = await createDeployedTask(client, projectId, 'lp_task', JSON.stringify(withPublication));
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await withDb(pgi, 'lp_src', (c) => c.query(`INSERT INTO orders SELECT g, 'o' FROM generate_series(1, 50) g`));
  await waitForEqualTables(pgi, 'lp_src', pgi, 'lp_dst', 'public.orders');
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
  assert.equal((await withDb(pgi, 'lp_src', (c) => c.query(`SELECT 1 FROM pg_publication WHERE pubname = 'lp_pub'`))).rowCount, 1, 'the DBA\'s publication is kept');

  // The user owned the table when the task was created, and lost it before the start.
  const ownFileId = await createDeployedTask(client, projectId, 'lp_own', realtimeScript('lp_src', 'lp_dst', ['public.mine']));
  await withDb(pgi, 'lp_src', (c) => c.query(`ALTER TABLE mine OWNER TO postgres`));
  await taskCall(client, 'StartDISyncInstance', projectId, ownFileId);
  const failed = await waitForStatus(client, projectId, ownFileId, ['FAILED', 'RUN'], 30_000);
  assert.equal(failed.Status, 'FAILED', `a permanent error fails at once: ${failed.Message}`);
  assert.match(failed.Message, /ALTER TABLE public\.mine OWNER TO lp_reader/);
  assert.doesNotMatch(failed.Message, /restart/);
});
