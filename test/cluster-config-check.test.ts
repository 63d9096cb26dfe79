/**
 * A config check (GenerateDISyncTaskConfigForCreating) whose node dies while the check runs: in a
 * single process the next start fails it (config-check-hostile.test.ts), but a cluster node that
 * is gone never starts again under its key. The live nodes fail its checks when they reap it
 * (src/cluster/reconciler.ts), so QueryDISyncTaskConfigProcessResult through another node answers
 * `fail` with the reason instead of "still being generated" for good.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { OpenDICluster } from './harness/opendi-cluster.ts';
import { startFakePostgres, type FakeServer } from './harness/fake-postgres.ts';
import { call, createWorkspace, realtimeScript, waitUntil } from './harness/realtime-scenario.ts';

let catalog: PgInstance;
let cluster: OpenDICluster;
let fake: FakeServer;

before(async () => {
  [catalog, fake] = await Promise.all([startPostgres(), startFakePostgres('stall')]);
  // The check would hang for 10 minutes against a server that never answers a query.
  cluster = await OpenDICluster.start(catalog, 2, { OPENDI_CHECK_STATEMENT_TIMEOUT_MS: '600000', OPENDI_CHECK_TIMEOUT_MS: '600000' });
});
after(async () => { await cluster?.destroy(); await Promise.all([catalog?.destroy(), fake?.close()]); });

test('kill -9 of the node running a config check: another node answers fail, naming why, instead of running for good', async () => {
  const [first, second] = [...cluster.nodes.keys()];
  const client = cluster.node(first).client();
  const projectId = await createWorkspace(client, 'ws_check');
  await call(client, 'CreateDataSource', {
    ProjectId: projectId, Name: 'stalls', DataSourceType: 'postgresql', EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: `jdbc:postgresql://127.0.0.1:${fake.port}/x`, username: 'u', password: 'p' }),
  });
  const gen = await call(client, 'GenerateDISyncTaskConfigForCreating', {
    ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: realtimeScript('stalls', 'stalls', ['public.t']),
  });
  const processId = gen.Data.ProcessId;
  await waitUntil(async () => fake.connections >= 1 || undefined, 10_000, 'the check to reach the server');
  const query = async () => (await call(cluster.node(second).client(), 'QueryDISyncTaskConfigProcessResult',
    { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: processId })).Data;
  assert.match((await query()).Message, /still being generated/, 'the check runs on the first node');

  const killedAt = Date.now();
  await cluster.node(first).kill();
  cluster.nodes.delete(first);
  const result = await waitUntil(async () => {
    const r = await query();
    return /still being generated/.test(r.Message) ? undefined : r;
  }, 60_000, 'the check of the dead node to end');
  console.log(`# the dead node's check answered fail ${Date.now() - killedAt} ms after kill -9`);
  assert.equal(result.Status, 'fail');
  assert.match(result.Message, /the cluster node running the check stopped; run the check again/);
});
