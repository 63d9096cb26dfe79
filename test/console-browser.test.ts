/**
 * The web console in a real Chromium against the running service and a real PostgreSQL (README
 * "Web console"): a refused key shows the API's words, sign-in, the workspace and task lists, Test
 * connection on a good and a bad data source, Stop and Start from the task page's buttons reaching
 * PAUSE and RUN in the API, a live chart gaining points while rows flow, no layout shift while
 * refreshing, the keyboard path to a confirmation, a job made with the wizard that syncs rows, a
 * phone-width layout, a principal seeing only its own workspaces, and Sign out forgetting the key.
 * No uncaught script error and no console error is allowed, except the 4xx the browser logs for a
 * refused sign-in.
 * One browser for the file; with OPENDI_CONSOLE_SCREENSHOTS=1 the main pages are saved to
 * docs/screenshots/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { OpenDIService } from './harness/opendi-service.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { ConsoleBrowser } from './harness/browser.ts';
import { ContinuousWriter } from './harness/continuous-writer.ts';
import {
  addPostgresDataSource, addUnreachableDataSource, createDeployedTask, createWorkspace, instanceInfo, realtimeScript, taskCall, waitForEqualTables,
  waitForStatus, waitUntil, withDb,
} from './harness/realtime-scenario.ts';

const SHOTS = process.env.OPENDI_CONSOLE_SCREENSHOTS === '1' ? path.resolve('docs/screenshots') : null;

let pgi: PgInstance;
let svc: OpenDIService;
let browser: ConsoleBrowser;
let projectId: number;
let taskId: number;
let writer: ContinuousWriter | undefined;

async function shot(name: string): Promise<void> {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await browser.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

before(async () => {
  // Samples every second, so the live chart gains points within the test.
  [pgi, svc, browser] = await Promise.all([
    startPostgres(), OpenDIService.start({ env: { OPENDI_METRICS_SAMPLE_INTERVAL_MS: '1000' } }), ConsoleBrowser.launch(),
  ]);
  const client = svc.client();
  projectId = await createWorkspace(client, 'shop');
  await createWorkspace(client, 'analytics');
  await pgi.createDatabase('shop_src');
  await pgi.createDatabase('shop_dst');
  await pgi.createDatabase('shop_copy');
  await withDb(pgi, 'shop_src', (c) => c.query(`CREATE TABLE public.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2));
    INSERT INTO public.orders SELECT g, 'customer ' || g, g * 1.5 FROM generate_series(1, 500) g;
    CREATE TABLE public.refunds (id bigint PRIMARY KEY, order_id bigint, reason text);
    INSERT INTO public.refunds SELECT g, g * 3, 'reason ' || g FROM generate_series(1, 50) g;
    CREATE TABLE public.events (id bigint PRIMARY KEY, payload text);
    CREATE TABLE public.audit (at timestamptz, what text);
    ANALYZE`));
  await addPostgresDataSource(client, projectId, 'shop_src', pgi, 'shop_src');
  await addPostgresDataSource(client, projectId, 'shop_dst', pgi, 'shop_dst');
  await addPostgresDataSource(client, projectId, 'shop_copy', pgi, 'shop_copy');
  await addUnreachableDataSource(client, projectId, 'old_replica', 'old-pw');
  taskId = await createDeployedTask(client, projectId, 'orders_sync', realtimeScript('shop_src', 'shop_dst', ['public.orders', 'public.events'], { setting: { initialLoad: true } }));
  await taskCall(client, 'StartDISyncInstance', projectId, taskId);
  await waitForStatus(client, projectId, taskId, ['RUN']);
});

after(async () => {
  await writer?.stop();
  await browser?.close();
  await svc?.destroy();
  await pgi?.destroy();
});

const consoleUrl = () => `http://${svc.endpoint}/console/`;

async function signIn(accessKeyId: string, accessKeySecret: string): Promise<void> {
  const { page } = browser;
  await page.getByLabel('AccessKey ID').fill(accessKeyId);
  await page.getByLabel('AccessKey Secret').fill(accessKeySecret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a wrong AccessKey is refused with the API error in words, and nothing is stored', async () => {
  const { page } = browser;
  await page.goto(consoleUrl());
  await browser.expectHttpErrors([400, 404], async () => {
    await signIn(svc.accessKeyId, 'not-the-secret');
    await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'Specified signature does not match our calculation. (SignatureDoesNotMatch)' }).waitFor());
    await signIn('ODAKNOSUCHKEY', 'whatever');
    await page.getByRole('alert').filter({ hasText: 'Specified access key is not found. (InvalidAccessKeyId.NotFound)' }).waitFor();
  });
  await shot('sign-in-refused');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(browser.problems, []);
});

test('sign in: the workspaces the key may see, then a workspace with its tasks and data sources', async () => {
  const { page } = browser;
  await signIn(svc.accessKeyId, svc.accessKeySecret);
  await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'analytics' }).waitFor();
  await shot('workspaces');
  await page.getByRole('link', { name: 'shop' }).click();
  await page.getByRole('heading', { name: 'shop', level: 1 }).waitFor();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'orders_sync' }) });
  await row.getByText('Running').waitFor();
  await row.getByText('Incremental').waitFor();
  for (const name of ['shop_src', 'shop_dst']) await page.getByRole('rowheader', { name }).waitFor();
  const source = (name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
  await source('shop_src').getByRole('button', { name: 'Test connection' }).click();
  await source('shop_src').getByRole('status').filter({ hasText: 'Connectable' }).waitFor();
  await source('old_replica').getByRole('button', { name: 'Test connection' }).click();
  await source('old_replica').getByRole('status').filter({ hasText: /^Unreachable: / }).waitFor();
  assert.doesNotMatch(await page.content(), /old-pw/);
  await shot('workspace');
  assert.deepEqual(browser.problems, []);
});

test('task page: Stop and Start from the buttons reach PAUSE and RUN in the API, and the rows keep flowing', async () => {
  const { page } = browser;
  const client = svc.client();
  await page.getByRole('link', { name: 'orders_sync' }).click();
  await page.getByRole('heading', { name: 'orders_sync', level: 1 }).waitFor();
  await page.locator('[data-status="RUN"]').first().waitFor();
  await page.getByRole('button', { name: 'Stop' }).click();
  const stopDialog = page.getByRole('dialog', { name: 'Stop the task?' });
  await stopDialog.getByRole('button', { name: 'Stop task' }).click();
  await waitForStatus(client, projectId, taskId, ['PAUSE']);
  await page.locator('[data-status="PAUSE"]').first().waitFor();
  await page.getByRole('status').filter({ hasText: 'Stopped: the task resumes from its checkpoint' }).waitFor();

  await withDb(pgi, 'shop_src', (c) => c.query(`INSERT INTO public.orders SELECT g, 'late ' || g, g FROM generate_series(501, 600) g`));
  await page.getByRole('button', { name: 'Start' }).click();
  const startDialog = page.getByRole('dialog', { name: 'Start the task' });
  await startDialog.getByLabel('Dirty records tolerated').fill('5');
  await startDialog.getByRole('button', { name: 'Start task' }).click();
  await waitForStatus(client, projectId, taskId, ['RUN']);
  await page.locator('[data-status="RUN"]').first().waitFor();
  await waitForEqualTables(pgi, 'shop_src', pgi, 'shop_dst', 'public.orders');
  assert.deepEqual(browser.problems, []);
});

test('the throughput chart gains points while rows flow', async () => {
  const { page } = browser;
  writer = new ContinuousWriter(pgi, 'shop_src', 'public.events', 1, 20, 20);
  const chart = page.getByRole('figure', { name: /^Throughput/ });
  await chart.waitFor();
  const points = async () => Number(await chart.getAttribute('data-points'));
  const before = await points();
  await waitUntil(async () => (await points()) >= before + 3 || undefined, 30_000, 'the chart to gain 3 points');
  await waitUntil(async () => /Written (?!0\/s)\d/.test(String(await chart.getAttribute('aria-label'))) || undefined, 30_000, 'a written rate above zero');
  if (SHOTS) await waitUntil(async () => (await points()) >= before + 20 || undefined, 60_000, 'a fuller chart for the screenshot');
  await shot('task');
  assert.deepEqual(browser.problems, []);
});

test('refreshing moves nothing: no layout shift over several refreshes of the task and workspace pages', async () => {
  const { page } = browser;
  for (const hash of [`#/workspaces/${projectId}`, `#/workspaces/${projectId}/tasks/${taskId}`]) {
    await page.goto(`${consoleUrl()}${hash}`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.waitForTimeout(2_500); // the first answers of every section are in
    const shift = await page.evaluate(() => new Promise<{ total: number; moved: string[] }>((resolve) => {
      let total = 0;
      const moved: string[] = [];
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries() as unknown as { value: number; hadRecentInput: boolean; sources?: { node?: Node }[] }[]) {
          if (e.hadRecentInput) continue;
          total += e.value;
          for (const src of e.sources ?? []) moved.push(((src.node as Element | undefined)?.outerHTML ?? `${src.node?.nodeName} ${src.node?.parentElement?.outerHTML}`).slice(0, 160));
        }
      });
      observer.observe({ type: 'layout-shift', buffered: false });
      setTimeout(() => { observer.disconnect(); resolve({ total, moved }); }, 10_000);
    }));
    assert.equal(shift.total, 0, `${hash}: cumulative layout shift while refreshing: ${shift.total}; moved: ${shift.moved.join(' | ')}`);
  }
  assert.deepEqual(browser.problems, []);
});

test('by keyboard: Tab reaches Terminate, Enter asks, focus starts on Cancel, Escape changes nothing', async () => {
  const { page } = browser;
  await page.getByRole('heading', { level: 1 }).focus();
  let found = false;
  for (let i = 0; i < 40 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement?.textContent === 'Terminate');
  }
  assert.ok(found, 'Tab reaches the Terminate button');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Terminate the task?' });
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await instanceInfo(svc.client(), projectId, taskId)).Status, 'RUN');
  assert.deepEqual(browser.problems, []);
});

test('the wizard creates a job from picked rules, without JSON, and it syncs rows', async () => {
  const { page } = browser;
  await page.goto(`${consoleUrl()}#/workspaces/${projectId}`);
  await page.getByRole('link', { name: 'Create a job' }).first().click();
  await page.getByRole('heading', { name: 'Create a job', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('alert').filter({ hasText: 'Give the job a name.' }).waitFor();
  await page.getByLabel('Job name').fill('orders_copy');
  await page.getByLabel('Source data source').selectOption('shop_src');
  await page.getByLabel('Target data source').selectOption('shop_copy');
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByRole('radio', { name: 'Match by rules' }).check();
  await page.getByLabel('Rule 1 expression').fill('(orders|refunds|audit)');
  await page.getByText('The rules match 3 table(s) now.').waitFor();
  await page.getByRole('alert').filter({ hasText: 'Without a primary key, these cannot be synced: public.audit' }).waitFor();
  await page.getByRole('button', { name: 'Add rule' }).click();
  await page.getByLabel('Rule 2 action').selectOption('Exclude');
  await page.getByLabel('Rule 2 expression').fill('audit');
  await page.getByText('The rules match 2 table(s) now.').waitFor();
  await shot('wizard-tables');
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByLabel('Column dropped').selectOption('Ignore');
  await page.getByLabel('Dirty records tolerated').fill('3');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('DropColumn: Ignore').waitFor();
  await shot('wizard-review');
  await page.getByRole('button', { name: 'Create and start job' }).click();
  await page.waitForURL(/#\/workspaces\/\d+\/tasks\/\d+$/);
  const id = Number(/tasks\/(\d+)$/.exec(page.url())![1]);
  await page.getByRole('heading', { name: 'orders_copy', level: 1 }).waitFor();
  await waitForStatus(svc.client(), projectId, id, ['RUN']);
  await withDb(pgi, 'shop_src', (c) => c.query(`INSERT INTO public.refunds VALUES (51, 7, 'after create')`));
  await waitForEqualTables(pgi, 'shop_src', pgi, 'shop_copy', 'public.orders');
  await waitForEqualTables(pgi, 'shop_src', pgi, 'shop_copy', 'public.refunds');
  const job = (await svc.client().call('GetDIJob', { Id: id }, '2024-05-18')).body.PagingInfo;
  assert.deepEqual(job.JobSettings.DdlHandlingSettings, [{ Type: 'DropColumn', Action: 'Ignore' }]);
  assert.equal(job.MigrationType, 'FullAndRealtimeIncremental');
  await page.getByRole('row').filter({ hasText: 'public.refunds' }).getByText('Done').waitFor();
  assert.deepEqual(browser.problems, []);
});

test('readable at a phone width: no page is wider than the screen (wide tables scroll in their own box)', async () => {
  const { page } = browser;
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const [hash, name] of [[`#/workspaces/${projectId}/tasks/${taskId}`, 'task-phone'], [`#/workspaces/${projectId}`, 'workspace-phone'], ['#/', null]] as const) {
      await page.goto(`${consoleUrl()}${hash}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForTimeout(1_500);
      const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth }));
      assert.ok(widths.page <= widths.screen, `${hash}: ${widths.page} px wide on a ${widths.screen} px screen`);
      if (name) await shot(name);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
  assert.deepEqual(browser.problems, []);
});

test('another principal sees only the workspaces granted to it; Sign out forgets the key', async () => {
  const { page } = browser;
  const bob = JSON.parse(await svc.cli(['principal', 'create', 'bob']));
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('AccessKey ID').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await signIn(bob.AccessKeyId, bob.AccessKeySecret);
  await page.getByText('No workspace is visible to this AccessKey.').waitFor();
  await svc.cli(['principal', 'grant', 'bob', '--project', String(projectId)]);
  await page.reload();
  await page.getByRole('link', { name: 'shop' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'analytics' }).count(), 0);
  // Bob's own copy of a task address in another workspace is refused by the API, not hidden by the console.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.reload();
  await page.getByLabel('AccessKey ID').waitFor();
  await waitUntil(async () => (await page.evaluate(() => sessionStorage.length)) === 0, 5_000, 'sessionStorage to be empty');
  assert.deepEqual(browser.problems, []);
});
