/**
 * PostgreSQL -> PostgreSQL real-time sync through the API: Start/Stop/Start with writes made
 * while stopped, Stop under a continuous writer, Terminate then a fresh start, Delete releasing
 * the slot. Target must equal source after each scenario.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenDIService } from './harness/opendi-service.ts';
import type { PgInstance } from './harness/postgres.ts';
import { startPgServiceEnv, type PgServiceEnv } from './harness/pg-service-env.ts';
import { ContinuousWriter } from './harness/continuous-writer.ts';
import {
  addPostgresDataSource, call, createDeployedTask, instanceInfo, realtimeScript,
  replicationConnections, taskCall, waitForEqualTables, waitForStatus, withDb, waitUntil,
} from './harness/realtime-scenario.ts';

let env: PgServiceEnv;
let pgi: PgInstance;
let svc: OpenDIService;
let projectId: number;

before(async () => { env = await startPgServiceEnv('ws_sync'); ({ pgi, svc, projectId } = env); });
after(async () => { await env?.destroy(); });

/** A fresh source/target database pair with the given DDL, and data sources for them. */
async function databases(name: string, ddl: string): Promise<{ src: string; dst: string }> {
  const src = `${name}_src`;
  const dst = `${name}_dst`;
  await pgi.createDatabase(src);
  await pgi.createDatabase(dst);
  await withDb(pgi, src, (c) => c.query(ddl));
  await addPostgresDataSource(svc.client(), projectId, src, pgi, src);
  await addPostgresDataSource(svc.client(), projectId, dst, pgi, dst);
  return { src, dst };
}

const slotsOf = (fileId: number) => withDb(pgi, 'postgres', async (c) =>
  (await c.query(`SELECT slot_name, active FROM pg_replication_slots WHERE slot_name LIKE $1`, [`%\\_${fileId}`])).rows);

test('start, stop, write while stopped, start again: target equals source (inserts, updates, deletes, many types)', async () => {
  const client = svc.client();
  const { src, dst } = await databases('sss', `
    CREATE TABLE public.accounts (
      id bigint PRIMARY KEY, name text, balance numeric(30,10), opened timestamptz, active boolean,
      tags jsonb, avatar bytea, note text);`);
  const fileId = await createDeployedTask(client, projectId, 'sss_task', realtimeScript(src, dst, ['public.accounts']));
  assert.equal((await taskCall(client, 'StartDISyncInstance', projectId, fileId, {
    StartParam: JSON.stringify({ failoverLimit: { count: 5, interval: 10 }, errorLimit: { record: 0 } }),
  })).Data.Status, 'success');
  await waitForStatus(client, projectId, fileId, ['RUN']);

  await withDb(pgi, src, async (c) => {
    await c.query(`INSERT INTO accounts SELECT g, 'name ' || g || ' 😀 ünïcödé', g * 1.0000000001, now() - g * interval '1 minute',
      g % 2 = 0, jsonb_build_object('g', g, 'arr', jsonb_build_array(g, 'x')), decode(md5(g::text), 'hex'), NULL
      FROM generate_series(1, 2000) g`);
    await c.query(`UPDATE accounts SET balance = -balance, note = repeat('long ', 5000) WHERE id % 10 = 0`);
    await c.query(`DELETE FROM accounts WHERE id % 7 = 0`);
  });
  await waitForEqualTables(pgi, src, pgi, dst, 'public.accounts');

  assert.deepEqual((await taskCall(client, 'StopDISyncInstance', projectId, fileId)).Data, { Status: 'success', Message: null });
  assert.equal(await replicationConnections(pgi), 0);
  // Writes while stopped: inserts, updates of key and non-key columns, deletes, in several transactions.
  await withDb(pgi, src, async (c) => {
    await c.query(`INSERT INTO accounts (id, name, balance) SELECT g, 'late ' || g, g FROM generate_series(2001, 3000) g`);
    await c.query(`UPDATE accounts SET name = NULL, tags = '{"changed": true}' WHERE id BETWEEN 1 AND 300`);
    await c.query(`UPDATE accounts SET id = id + 100000 WHERE id BETWEEN 301 AND 310`);
    await c.query(`DELETE FROM accounts WHERE id BETWEEN 2500 AND 2600`);
    await c.query(`BEGIN; INSERT INTO accounts (id, name) VALUES (999999, 'x'); DELETE FROM accounts WHERE id = 999999; COMMIT`);
  });
  assert.equal((await instanceInfo(client, projectId, fileId)).Status, 'PAUSE');
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  const rows = await waitForEqualTables(pgi, src, pgi, dst, 'public.accounts');
  assert.ok(rows.length > 2000);
  await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});

test('stop while a writer inserts continuously: PAUSE within the bound, then resume converges with nothing lost', async () => {
  const client = svc.client();
  const { src, dst } = await databases('cw', `CREATE TABLE public.events (id bigint PRIMARY KEY, payload text)`);
  const fileId = await createDeployedTask(client, projectId, 'cw_task', realtimeScript(src, dst, ['public.events']));
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  const writer = new ContinuousWriter(pgi, src, 'public.events', 1);
  const stopTimes: number[] = [];
  for (let cycle = 0; cycle < 3; cycle++) {
    await new Promise((r) => setTimeout(r, 700));
    const t0 = performance.now();
    const stop = await taskCall(client, 'StopDISyncInstance', projectId, fileId);
    stopTimes.push(performance.now() - t0);
    assert.deepEqual(stop.Data, { Status: 'success', Message: null });
    assert.equal((await instanceInfo(client, projectId, fileId)).Status, 'PAUSE');
    assert.equal(await replicationConnections(pgi), 0);
    await taskCall(client, 'StartDISyncInstance', projectId, fileId);
    await waitForStatus(client, projectId, fileId, ['RUN']);
  }
  const written = await writer.stop();
  const rows = await waitForEqualTables(pgi, src, pgi, dst, 'public.events');
  assert.equal(rows.length, written);
  console.log(`# StopDISyncInstance -> PAUSE under a continuous writer: ${stopTimes.map((t) => t.toFixed(0)).join(', ')} ms (${written} rows written)`);
  await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});

test('throughput: 100k row changes written while stopped stream through on start', async () => {
  const client = svc.client();
  const { src, dst } = await databases('tp', `CREATE TABLE public.bulk (id bigint PRIMARY KEY, v int, payload text)`);
  const fileId = await createDeployedTask(client, projectId, 'tp_task', realtimeScript(src, dst, ['public.bulk']));
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  await withDb(pgi, src, async (c) => {
    for (let t = 0; t < 80; t++) {
      await c.query(`INSERT INTO bulk SELECT g, 0, md5(g::text) FROM generate_series($1::int, $1::int + 999) g`, [t * 1000 + 1]);
    }
    await c.query(`UPDATE bulk SET v = v + 1 WHERE id % 5 = 0`);
    await c.query(`DELETE FROM bulk WHERE id % 5 = 1`);
  });
  const changes = 80_000 + 16_000 + 16_000;
  const t0 = performance.now();
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForEqualTables(pgi, src, pgi, dst, 'public.bulk', 120_000);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`# PG->PG through the API: ${changes} row changes in ${seconds.toFixed(2)} s = ${Math.round(changes / seconds)} changes/s (start included)`);
  await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});

test('terminate releases the slot and the checkpoint; deploy + start begins afresh; delete drops everything', async () => {
  const client = svc.client();
  const { src, dst } = await databases('term', `CREATE TABLE public.t (id int PRIMARY KEY, v text)`);
  const fileId = await createDeployedTask(client, projectId, 'term_task', realtimeScript(src, dst, ['public.t']));
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await withDb(pgi, src, (c) => c.query(`INSERT INTO t SELECT g, 'a' FROM generate_series(1, 100) g`));
  await waitForEqualTables(pgi, src, pgi, dst, 'public.t');
  assert.equal((await slotsOf(fileId)).length, 1);

  assert.deepEqual((await taskCall(client, 'TerminateDISyncInstance', projectId, fileId)).Data, { Status: 'success', Message: null });
  assert.equal((await instanceInfo(client, projectId, fileId)).Status, 'NORUN');
  assert.equal((await slotsOf(fileId)).length, 0, 'terminate drops the replication slot');
  const checkpoints = await withDb(pgi, dst, async (c) => (await c.query(`SELECT * FROM opendi.sync_checkpoint WHERE task_id = $1`, [fileId])).rows);
  assert.equal(checkpoints.length, 0, 'terminate discards the checkpoint');
  const notDeployed = await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  assert.equal(notDeployed.Data.Status, 'fail');
  assert.match(notDeployed.Data.Message, /not deployed/);

  await call(client, 'DeployDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId });
  await taskCall(client, 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  assert.equal((await slotsOf(fileId)).length, 1, 'a fresh slot');
  await withDb(pgi, src, (c) => c.query(`UPDATE t SET v = 'b'; INSERT INTO t SELECT g, 'c' FROM generate_series(101, 150) g`));
  await waitForEqualTables(pgi, src, pgi, dst, 'public.t');

  const running = await taskCall(client, 'DeleteDISyncTask', projectId, fileId);
  assert.equal(running.Data.Status, 'fail', 'a running task is not deleted');
  await taskCall(client, 'StopDISyncInstance', projectId, fileId);
  assert.equal((await taskCall(client, 'DeleteDISyncTask', projectId, fileId)).Data.Status, 'success');
  assert.equal((await slotsOf(fileId)).length, 0, 'delete drops the slot');
  const pubs = await withDb(pgi, src, async (c) => (await c.query(`SELECT pubname FROM pg_publication WHERE pubname LIKE $1`, [`%\\_${fileId}`])).rows);
  assert.equal(pubs.length, 0, 'delete drops the publication');
  assert.equal((await taskCall(client, 'GetDISyncInstanceInfo', projectId, fileId)).Data.Status, 'fail');
});

test('the config process refuses missing tables and tables without a primary key, naming each', async () => {
  const client = svc.client();
  const { src, dst } = await databases('cfg', `CREATE TABLE public.keyed (id int PRIMARY KEY); CREATE TABLE public.heap (v int)`);
  const gen = await call(client, 'GenerateDISyncTaskConfigForCreating', {
    ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: realtimeScript(src, dst, ['public.keyed', 'public.heap', 'public.nope']),
  });
  const result = await waitUntil(async () => {
    const q = await call(client, 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: gen.Data.ProcessId });
    return q.Data.Status === 'fail' && /still being generated/.test(q.Data.Message) ? undefined : q.Data;
  }, 20_000, 'config process');
  assert.equal(result.Status, 'fail');
  assert.match(result.Message, /public\.heap has no primary key/);
  assert.match(result.Message, /public\.nope does not exist/);
  assert.doesNotMatch(result.Message, /keyed/);
  assert.equal(result.TaskContent, null);
});
