/**
 * Delete and Terminate discard the checkpoint a task claimed in the target, also when the task
 * never got as far as creating its source resources (security review MEDIUM-7: a task that
 * failed in prepare three times and was deleted left its checkpoint row and fence behind).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenDIService } from './harness/opendi-service.ts';
import type { PgInstance } from './harness/postgres.ts';
import { startPgServiceEnv, type PgServiceEnv } from './harness/pg-service-env.ts';
import {
  addPostgresDataSource, createDeployedTask, realtimeScript, taskCall, waitForStatus, withDb,
} from './harness/realtime-scenario.ts';

let env: PgServiceEnv;
let pgi: PgInstance;
let svc: OpenDIService;
let projectId: number;

before(async () => { env = await startPgServiceEnv('ws_release'); ({ pgi, svc, projectId } = env); });
after(async () => { await env?.destroy(); });

const checkpointRows = (dst: string, fileId: number) => withDb(pgi, dst, async (c) =>
  (await c.query(`SELECT installation_id, fence FROM opendi.sync_checkpoint WHERE task_id = $1`, [fileId])).rows);

for (const action of ['DeleteDISyncTask', 'TerminateDISyncInstance'] as const) {
  test(`${action}: a task that failed in prepare three times leaves no checkpoint row in the target`, async () => {
    const client = svc.client();
    const name = action === 'DeleteDISyncTask' ? 'del' : 'term';
    const [src, dst] = [`${name}_src`, `${name}_dst`];
    await pgi.createDatabase(src);
    await pgi.createDatabase(dst);
    await withDb(pgi, src, (c) => c.query(`CREATE TABLE public.t (id int PRIMARY KEY, v text)`));
    await addPostgresDataSource(client, projectId, src, pgi, src);
    await addPostgresDataSource(client, projectId, dst, pgi, dst);
    const fileId = await createDeployedTask(client, projectId, `${name}_task`, realtimeScript(src, dst, ['public.t']));
    // The key goes after the config check: every start claims the target checkpoint, then fails in prepare.
    await withDb(pgi, src, (c) => c.query(`ALTER TABLE public.t DROP CONSTRAINT t_pkey`));
    for (let i = 1; i <= 3; i++) {
      assert.equal((await taskCall(client, 'StartDISyncInstance', projectId, fileId)).Data.Status, 'success');
      const failed = await waitForStatus(client, projectId, fileId, ['FAILED']);
      assert.match(failed.Message, /no primary key/);
    }
    const [row] = await checkpointRows(dst, fileId);
    assert.equal(Number(row.fence), 3, 'each start claimed the checkpoint');
    const done = await taskCall(client, action, projectId, fileId);
    assert.equal(done.Success ?? done.Data?.Status === 'success', true, JSON.stringify(done));
    assert.deepEqual(await checkpointRows(dst, fileId), []);
  });
}
