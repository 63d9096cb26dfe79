/**
 * The service's log output goes away (whoever read its stderr exits: a supervisor, a log shipper,
 * `opendi serve | tee` with tee killed). Every later log line then fails with EPIPE. The service
 * must go on serving without spinning: before, the failed write raised an error that the
 * keep-serving handler logged, to the same dead stderr, and so on, one core at 80% for good.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { OpenDIService } from './harness/opendi-service.ts';
import { call } from './harness/realtime-scenario.ts';

let svc: OpenDIService;
before(async () => { svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'debug' } }); });
after(async () => { await svc?.destroy(); });

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

test('with its stderr gone the service keeps answering and does not spin on the failed log writes', async () => {
  const client = svc.client();
  await call(client, 'ListProjects', { PageNumber: 1, PageSize: 10 });
  svc.closeOutput();
  // Each call logs at debug level: the first lines after the close fail with EPIPE.
  for (let i = 0; i < 5; i++) await call(client, 'ListProjects', { PageNumber: 1, PageSize: 10 });
  await new Promise((r) => setTimeout(r, 500));
  const before = cpuSeconds(svc.pid!);
  await new Promise((r) => setTimeout(r, 3_000));
  const used = cpuSeconds(svc.pid!) - before;
  console.log(`# CPU while idle with stderr gone: ${used.toFixed(2)} s in 3 s`);
  assert.ok(used < 0.5, `the idle service used ${used.toFixed(2)} s of CPU in 3 s (a log loop spins)`);
  const r = await call(client, 'ListProjects', { PageNumber: 1, PageSize: 10 });
  assert.equal(typeof r.PageResult.TotalCount, 'number', 'it still answers');
});
