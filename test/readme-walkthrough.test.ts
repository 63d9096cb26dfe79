/**
 * The README's first-task walkthrough (issue 8 item 16), run as written: its shell blocks, in
 * order, in bash, against private MariaDB and PostgreSQL servers and the service, with only the
 * servers' addresses and the service's key given through the environment. Then the targets must
 * hold exactly what the sources hold.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCrossEngineEnv, type CrossEngineEnv } from './harness/cross-engine-env.ts';
import {
  addMySqlDataSource, addPostgresDataSource, call, createWorkspace, realtimeScript, taskCall, waitForStatus, waitUntil, withDb,
} from './harness/realtime-scenario.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let env: CrossEngineEnv;
before(async () => { env = await startCrossEngineEnv(); });
after(async () => { await env?.destroy(); });

/** The ```sh blocks between the walkthrough markers. */
function walkthroughScript(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('<!-- walkthrough:start -->')[1]?.split('<!-- walkthrough:end -->')[0];
  assert.ok(section, 'the README has the walkthrough markers');
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

test('the README walkthrough runs as written: MariaDB -> PostgreSQL (table named without its database) and back', async () => {
  const { mdb, pgi, svc } = env;
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-walk-'));
  const script = `set -euo pipefail\n${walkthroughScript()}`;
  const child = spawn('bash', ['-c', script], {
    cwd,
    env: {
      ...process.env, MY_HOST: mdb.host, MY_PORT: String(mdb.port), MY_ADMIN: mdb.user, PG_HOST: pgi.host, PG_PORT: String(pgi.port), PG_ADMIN: pgi.user,
      OPENDI_HOME: ROOT, OPENDI_ENDPOINT: svc.endpoint, OPENDI_ACCESS_KEY_ID: svc.accessKeyId, OPENDI_ACCESS_KEY_SECRET: svc.accessKeySecret,
    },
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    assert.equal(code, 0, `walkthrough failed:\n${out}\n--- service log (tail) ---\n${svc.log.slice(-3000)}`);
    // Step 4 and 5 printed what the targets held; the deletes at the end succeeded.
    assert.match(out, /live/);
    assert.match(out, /third/);
    assert.equal((out.match(/\{"Status":"success","Message":null\}/g) ?? []).length, 4, out);
    // The copies equal their sources, including the changes made while streaming.
    const myRows = await mdb.query<any[]>(`SELECT id, customer, CAST(amount AS CHAR) AS amount FROM orders ORDER BY id`, [], 'shop');
    const pgRows = await withDb(pgi, 'warehouse', async (c) => (await c.query(`SELECT id, customer, amount::text AS amount FROM public.orders ORDER BY id`)).rows);
    assert.deepEqual(pgRows.map((r) => [r.id, r.customer, r.amount]), myRows.map((r) => [r.id, r.customer, r.amount]));
    assert.equal(pgRows.find((r) => r.customer === 'ann').amount, '13.00');
    const tickets = await waitUntil(async () => {
      const rows = await mdb.query<any[]>(`SELECT subject FROM tickets ORDER BY id`, [], 'shop_copy');
      return rows.length === 3 && rows;
    }, 10_000, 'tickets copied');
    assert.deepEqual(tickets.map((r: any) => r.subject), ['printer on fire', 'ünïcode', 'third']);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

test('a MySQL table named without its database (table list and selectedTables) passes the config check and syncs from the data source\'s database', async () => {
  const { mdb, pgi, svc } = env;
  const client = svc.client();
  const projectId = await createWorkspace(client, 'ws_bare_tables');
  await mdb.createDatabase('bare_src');
  await mdb.query(`CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(20))`, [], 'bare_src');
  await mdb.query(`CREATE TABLE items (id INT PRIMARY KEY, qty INT)`, [], 'bare_src');
  await mdb.query(`INSERT INTO orders VALUES (1, 'a'), (2, 'b')`, [], 'bare_src');
  await pgi.createDatabase('bare_dst');
  await addMySqlDataSource(client, projectId, 'bare_my', mdb, 'bare_src');
  await addPostgresDataSource(client, projectId, 'bare_pg', pgi, 'bare_dst');
  const script = JSON.parse(realtimeScript('bare_my', 'bare_pg', ['orders'], { reader: 'mysql', setting: { initialLoad: true } }));
  script.steps[0].parameter.connection[0].selectedTables = [{ schema: [{ tableInfos: [{ table: 'items' }] }] }];
  const gen = await call(client, 'GenerateDISyncTaskConfigForCreating', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: JSON.stringify(script) });
  const result = await waitUntil(async () => {
    const q = await call(client, 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: gen.Data.ProcessId });
    return q.Data.Status === 'fail' && /still being generated/.test(q.Data.Message) ? undefined : q.Data;
  }, 20_000, 'config process');
  assert.equal(result.Status, 'success', result.Message);
  assert.deepEqual(JSON.parse(result.TaskContent).steps[0].parameter.connection[0].table, ['bare_src.orders', 'bare_src.items'], 'the check names what it resolved');
  // Created from the script as written (bare names): the task resolves them the same way at start.
  const created = await call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: 'bare_task', TaskContent: JSON.stringify(script) });
  const fileId = created.Data.FileId;
  assert.equal((await taskCall(client, 'DeployDISyncTask', projectId, fileId)).Data.Status, 'success');
  assert.equal((await taskCall(client, 'StartDISyncInstance', projectId, fileId)).Data.Status, 'success');
  await waitForStatus(client, projectId, fileId, ['RUN']);
  await mdb.query(`INSERT INTO orders VALUES (3, 'c')`, [], 'bare_src');
  await mdb.query(`INSERT INTO items VALUES (1, 10)`, [], 'bare_src');
  const rows = await waitUntil(async () => {
    const r = await withDb(pgi, 'bare_dst', async (c) => ({
      orders: (await c.query(`SELECT id, note FROM public.orders ORDER BY id`)).rows, items: (await c.query(`SELECT id, qty FROM public.items`)).rows,
    })).catch(() => undefined);
    return r && r.orders.length === 3 && r.items.length === 1 && r;
  }, 30_000, 'bare tables synced');
  assert.deepEqual(rows.orders.map((r: any) => r.note), ['a', 'b', 'c']);
  await taskCall(client, 'TerminateDISyncInstance', projectId, fileId);
});
