/**
 * What the web console costs the service (README "Web console"): a signed-in Chromium keeps the
 * task page, then the workspace page, open on a running PG -> PG task under a steady writer; over
 * a measured minute, the RPC requests it sends (by action, from the browser's own request log) and
 * the catalog statements the service runs (every better-sqlite3 statement and exec, counted in
 * process), minus the statements the service runs in the same time with no page open (sampling,
 * checkpoints, ...). Prints a markdown table and writes bench/results/console-cost.json.
 *   node --import tsx bench/console-cost.ts        (CONSOLE_BENCH_SECONDS, default 60; CONSOLE_BENCH_TASKS, default 5)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startService } from '../src/service.ts';
import { parseServiceConfig } from '../src/config/service-config.ts';
import { createLogger } from '../src/logger.ts';
import { DataWorksClient } from '../src/client/dataworks-client.ts';
import { startPostgres } from '../test/harness/postgres.ts';
import { ContinuousWriter } from '../test/harness/continuous-writer.ts';
import { ConsoleBrowser } from '../test/harness/browser.ts';
import { buildConsole } from '../src/console/console-bundle.ts';
import { addPostgresDataSource, createDeployedTask, createWorkspace, realtimeScript, taskCall, waitForStatus, withDb } from '../test/harness/realtime-scenario.ts';

const SECONDS = Number(process.env.CONSOLE_BENCH_SECONDS ?? 60);
const TASKS = Number(process.env.CONSOLE_BENCH_TASKS ?? 5);
const log = (msg: string) => console.error(`[console-cost] ${msg}`);

// Count every statement the catalog runs: patch the prototypes before the service opens its database.
let statements = 0;
const probe = new Database(':memory:');
const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
for (const m of ['run', 'get', 'all', 'iterate']) {
  const original = statementProto[m];
  statementProto[m] = function (this: unknown, ...a: unknown[]) { statements++; return original.apply(this, a); };
}
const dbProto = Database.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
const exec = dbProto.exec;
dbProto.exec = function (this: unknown, ...a: unknown[]) { statements++; return exec.apply(this, a); };
probe.close();

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-console-cost-'));
const adminKey = { accessKeyId: 'ODAKCONSOLEBENCH', secret: 'console-bench-secret-0123' };
const pgi = await startPostgres();
const service = await startService(parseServiceConfig({ host: '127.0.0.1', port: '0', 'data-dir': dataDir, 'log-level': 'warn' }, {
  OPENDI_ACCESS_KEY_ID: adminKey.accessKeyId, OPENDI_ACCESS_KEY_SECRET: adminKey.secret,
}), createLogger('warn'));
const endpoint = `127.0.0.1:${service.port}`;
const client = new DataWorksClient({ endpoint, accessKeyId: adminKey.accessKeyId, accessKeySecret: adminKey.secret });
const writers: ContinuousWriter[] = [];
let browser: ConsoleBrowser | undefined;
try {
  const projectId = await createWorkspace(client, 'bench');
  const taskIds: number[] = [];
  for (let i = 0; i < TASKS; i++) {
    const src = `src_${i}`;
    const dst = `dst_${i}`;
    await pgi.createDatabase(src);
    await pgi.createDatabase(dst);
    await withDb(pgi, src, (c) => c.query('CREATE TABLE public.events (id bigint PRIMARY KEY, payload text)'));
    await addPostgresDataSource(client, projectId, src, pgi, src);
    await addPostgresDataSource(client, projectId, dst, pgi, dst);
    const id = await createDeployedTask(client, projectId, `task_${i}`, realtimeScript(src, dst, ['public.events']));
    await taskCall(client, 'StartDISyncInstance', projectId, id);
    await waitForStatus(client, projectId, id, ['RUN']);
    writers.push(new ContinuousWriter(pgi, src, 'public.events', 1, 10, 50));
    taskIds.push(id);
  }
  log(`${TASKS} tasks running under writers; building the console`);
  const bytes = await consoleBytes();

  browser = await ConsoleBrowser.launch();
  const { page } = browser;
  const sent = new Map<string, number>();
  page.on('request', (r) => {
    const action = r.headers()['x-acs-action'];
    if (action) sent.set(action, (sent.get(action) ?? 0) + 1);
  });
  await page.goto(`http://${endpoint}/console/`);
  await page.getByLabel('AccessKey ID').fill(adminKey.accessKeyId);
  await page.getByLabel('AccessKey Secret').fill(adminKey.secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();

  const measure = async (label: string, href: string | null) => {
    if (href) await page.goto(`http://${endpoint}/console/${href}`); else await page.goto('about:blank');
    await new Promise((r) => setTimeout(r, 10_000)); // settle: first loads, lazy chart library
    sent.clear();
    const s0 = statements;
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const requests = Object.fromEntries([...sent].sort());
    return { label, requests, requestCount: [...sent.values()].reduce((a, b) => a + b, 0), statements: statements - s0 };
  };
  const idle = await measure('no page open', null);
  const taskPage = await measure('task page', `#/workspaces/${projectId}/tasks/${taskIds[0]}`);
  const workspacePage = await measure(`workspace page (${TASKS} tasks)`, `#/workspaces/${projectId}`);
  log(`browser problems: ${JSON.stringify(browser.problems)}`);

  const perMinute = (n: number) => Math.round((n * 60) / SECONDS);
  const rows = [taskPage, workspacePage].map((m) => {
    const refreshes = m.requests.GetDISyncInstanceInfo ? m.requests.GetDISyncInstanceInfo / (m.label.startsWith('task') ? 1 : TASKS) : 0;
    return {
      page: m.label, seconds: SECONDS, requests: m.requestCount, byAction: m.requests,
      catalogStatements: m.statements - idle.statements, refreshes,
      requestsPerRefresh: refreshes ? +(m.requestCount / refreshes).toFixed(2) : null,
      statementsPerRefresh: refreshes ? +((m.statements - idle.statements) / refreshes).toFixed(1) : null,
      requestsPerMinute: perMinute(m.requestCount), statementsPerMinute: perMinute(m.statements - idle.statements),
    };
  });
  const result = { when: new Date().toISOString(), cores: os.availableParallelism(), tasks: TASKS, idleStatements: idle.statements, bytes, pages: rows };
  fs.mkdirSync('bench/results', { recursive: true });
  fs.writeFileSync('bench/results/console-cost.json', JSON.stringify(result, null, 2) + '\n');
  console.log('| page | requests/min | catalog statements/min | refreshes | requests/refresh | statements/refresh |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.page} | ${r.requestsPerMinute} | ${r.statementsPerMinute} | ${r.refreshes} | ${r.requestsPerRefresh} | ${r.statementsPerRefresh} |`);
  for (const r of rows) console.log(`${r.page}: ${JSON.stringify(r.byAction)}`);
  console.log(`idle service (no page): ${idle.statements} statements in ${SECONDS} s`);
  console.log(`console files: ${JSON.stringify(bytes)}`);
} finally {
  await Promise.all(writers.map((w) => w.stop()));
  await browser?.close();
  await service.close();
  await pgi.destroy();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/** Bytes on the wire per file: as built, brotli, gzip. */
async function consoleBytes() {
  const files = await buildConsole();
  const out: Record<string, { raw: number; br: number; gzip: number }> = {};
  for (const [name, f] of files) out[name] = { raw: f.identity.length, br: f.br?.length ?? f.identity.length, gzip: f.gzip?.length ?? f.identity.length };
  return out;
}
