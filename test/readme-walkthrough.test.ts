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
import { waitUntil, withDb } from './harness/realtime-scenario.ts';

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
