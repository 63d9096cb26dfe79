/**
 * Monitoring and alerting through the API (issue 10), against a private MariaDB (source),
 * PostgreSQL (target), a real webhook receiver, a webhook receiver that never answers and a real
 * SMTP receiver: metric series growing while rows flow, /metrics scraped and parsed, alarm-rule
 * operations of both versions with their bad input, a DDL event with its SQL, DdlReport and
 * FailoverCount rules delivering one POST each and a Silence inside MuteInterval, a failover after
 * the target connection is killed and the log around it, a Delay rule firing while the target is
 * stalled by a lock and resolving after, a dead receiver not holding the pipeline, and the
 * history leaving with the task.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { OpenDIService } from './harness/opendi-service.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { SmtpReceiver, WebhookReceiver } from './harness/webhook-receiver.ts';
import {
  addMySqlDataSource, addPostgresDataSource, createDeployedTask, createWorkspace, expectApiError, realtimeScript, taskCall,
  waitForStatus, waitUntil, withDb,
} from './harness/realtime-scenario.ts';

const SECRET = 'webhook-secret-0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789';
const V2024 = '2024-05-18';

let pgi: PgInstance;
let mdb: MariaDbInstance;
let svc: OpenDIService;
let hook: WebhookReceiver;
let dead: WebhookReceiver;
let smtp: SmtpReceiver;
let projectId: number;
let jobId: number;

const client = () => svc.client();
const call = async (action: string, params: Record<string, unknown>, version?: string) => (await client().call(action, params, version)).body as any;
const events = async (type: string) => (await call('ListDIJobEvents', { DIJobId: jobId, EventType: type, StartTime: 0, EndTime: 4_000_000_000, PageSize: 100 }, V2024)).PagingInfo.DIJobEvent as any[];
const targetCount = () => withDb(pgi, 'mon_dst', async (c) => Number((await c.query('SELECT count(*) AS n FROM orders')).rows[0].n));
const sourceCount = async () => Number((await mdb.query<any[]>('SELECT count(*) AS n FROM orders', [], 'mon_src'))[0].n);
let nextId = 1;
const insertRows = (n: number) => {
  const rows = Array.from({ length: n }, () => `(${nextId++}, 'v')`).join(',');
  return mdb.query(`INSERT INTO orders (id, v) VALUES ${rows}`, [], 'mon_src');
};
const webhookRule = (name: string, metricType: string, conditions: object[], url = hook.url(), extra: object = {}) => call('CreateDIAlarmRule', {
  DIJobId: jobId, Name: name, MetricType: metricType, Enabled: true,
  NotificationSettings: JSON.stringify({ MuteInterval: 5, NotificationReceivers: [{ ReceiverType: 'WebHookUrl', ReceiverValues: [url] }], ...extra }),
  TriggerConditions: JSON.stringify(conditions),
}, V2024);

before(async () => {
  [pgi, mdb, hook, dead, smtp] = await Promise.all([startPostgres(), startMariaDb(), WebhookReceiver.start(), WebhookReceiver.start({ hang: true }), SmtpReceiver.start()]);
  svc = await OpenDIService.start({
    env: {
      OPENDI_METRICS_SAMPLE_INTERVAL_MS: '1000', OPENDI_ALARM_EVAL_INTERVAL_MS: '1000',
      OPENDI_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', OPENDI_WEBHOOK_SECRET: SECRET, OPENDI_WEBHOOK_TIMEOUT_MS: '4000', OPENDI_WEBHOOK_ATTEMPTS: '2',
      OPENDI_SMTP_URL: smtp.url, OPENDI_SMTP_FROM: 'opendi@test.local', OPENDI_METRICS_TOKEN: METRICS_TOKEN,
    },
  });
  projectId = await createWorkspace(client(), 'ws_mon');
  // The workspace default for MySQL -> PostgreSQL (DROPCOLUMN is WARNING by default) applies to the task below.
  await call('UpdateDIProjectConfig', { ProjectId: projectId, DestinationType: 'postgresql', SourceType: 'mysql', ProjectConfig: '{"DROPCOLUMN":"IGNORE"}' });
  await mdb.createDatabase('mon_src');
  await mdb.query('CREATE TABLE orders (id INT PRIMARY KEY, v VARCHAR(20))', [], 'mon_src');
  await pgi.createDatabase('mon_dst');
  await addMySqlDataSource(client(), projectId, 'mon_src', mdb, 'mon_src');
  await addPostgresDataSource(client(), projectId, 'mon_dst', pgi, 'mon_dst');
  jobId = await createDeployedTask(client(), projectId, 'mon_task', realtimeScript('mon_src', 'mon_dst', ['mon_src.orders'], { reader: 'mysql', writer: 'postgresql' }));
  await taskCall(client(), 'StartDISyncInstance', projectId, jobId, { StartParam: JSON.stringify({ failoverLimit: { count: 20, interval: 30 } }) });
  await waitForStatus(client(), projectId, jobId, ['RUN']);
});
after(async () => {
  await svc?.destroy();
  await Promise.all([pgi?.destroy(), mdb?.destroy(), hook?.close(), dead?.close(), smtp?.close()]);
});

test('metric series grow while rows flow; /metrics is scraped and parsed; health endpoints answer', async () => {
  const series = async () => {
    const body = await call('ListDIJobMetrics', { DIJobId: jobId, StartTime: 0, EndTime: 4_000_000_000, MetricName: JSON.stringify(['totalRecordsWrite', 'totalRecordsRead', 'speedRecordsWrite', 'delayTime', 'resourceUtilization']) }, V2024);
    return Object.fromEntries((body.PagingInfo.JobMetrics as any[]).map((m) => [m.Name, m.SeriesList])) as Record<string, { Time: number; Value: number }[]>;
  };
  await insertRows(300);
  const first = await waitUntil(async () => { const s = await series(); return s.totalRecordsWrite.at(-1)?.Value === 300 && s; }, 30_000, '300 records written in the series');
  await insertRows(400);
  const second = await waitUntil(async () => { const s = await series(); return s.totalRecordsWrite.at(-1)?.Value === 700 && s; }, 30_000, '700 records written in the series');
  assert.ok(second.totalRecordsWrite.length > first.totalRecordsWrite.length, 'new points');
  assert.equal(second.totalRecordsRead.at(-1)!.Value, 700);
  for (const [name, points] of Object.entries(second)) {
    assert.ok(points.every((p) => typeof p.Time === 'number' && typeof p.Value === 'number'), `${name}: numbers`);
  }
  assert.ok(second.speedRecordsWrite.some((p) => p.Value > 0));
  assert.ok(second.delayTime.length > 0 && second.resourceUtilization.length > 0);
  const times = second.totalRecordsWrite.map((p) => p.Time);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  await expectApiError(call('ListDIJobMetrics', { DIJobId: jobId, StartTime: 0, EndTime: 10, MetricName: JSON.stringify(['delayTime', 'lag']) }, V2024), 400, 'Param.Invalid', 'MetricName.2');
  await expectApiError(call('ListDIJobMetrics', { DIJobId: jobId, StartTime: 10, EndTime: 5, MetricName: '["delayTime"]' }, V2024), 400, 'Param.Invalid', 'StartTime');

  const base = `http://${svc.endpoint}`;
  assert.equal((await fetch(`${base}/metrics`)).status, 401);
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  const samples = parseExposition(await res.text());
  const mine = (name: string) => samples.filter((s) => s.name === name && s.labels.task_id === String(jobId));
  assert.equal(mine('opendi_task_records_written_total')[0].value, 700);
  assert.equal(mine('opendi_task_records_written_total')[0].labels.task, 'mon_task');
  assert.equal(mine('opendi_task_records_written_total')[0].labels.workspace, 'ws_mon');
  assert.equal(mine('opendi_task_records_read_total')[0].value, 700);
  assert.equal(mine('opendi_task_status').find((s) => s.labels.status === 'RUN')!.value, 1);
  assert.equal(mine('opendi_task_full_load_progress_ratio')[0].value, 1);
  assert.ok(mine('opendi_task_delay_seconds').length === 1);
  assert.ok(mine('opendi_task_sink_seconds_total')[0].value > 0, 'time spent writing 700 rows to the target');
  assert.ok(samples.some((s) => s.name === 'opendi_api_requests_total' && s.labels.action === 'ListDIJobMetrics' && s.value >= 2));
  assert.ok(samples.some((s) => s.name === 'process_cpu_seconds_total'));
  assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal((await ready.json()).checks.tasks, 'resumed');
});

test('alarm rules: bad input names the field; 2020 and 2024 operations share one store with the SDK JSON types; AlarmList', async () => {
  const good = { DIJobId: jobId, Name: 'r', MetricType: 'Delay', NotificationSettings: '{"MuteInterval":5}', TriggerConditions: '[{"Severity":"Warning","Duration":5,"Threshold":60}]' };
  await expectApiError(call('CreateDIAlarmRule', { ...good, MetricType: 'Latency' }, V2024), 400, 'Param.Invalid', 'MetricType');
  await expectApiError(call('CreateDIAlarmRule', { ...good, TriggerConditions: '[{"Severity":"Warning",' }, V2024), 400, 'Param.Invalid', 'TriggerConditions');
  await expectApiError(call('CreateDIAlarmRule', { ...good, TriggerConditions: '[{"Severity":"Warning","Duration":5}]' }, V2024), 400, 'Param.Invalid', 'TriggerConditions.1.Threshold');
  await expectApiError(call('CreateDIAlarmRule', { ...good, NotificationSettings: '{"NotificationChannels":[{"Severity":"Warning","Channels":["Pager"]}]}' }, V2024), 400, 'Param.Invalid', 'NotificationSettings.NotificationChannels.1.Channels.1');
  await expectApiError(call('CreateDIAlarmRule', { ...good, NotificationSettings: '{"NotificationReceivers":[{"ReceiverType":"WebHookUrl","ReceiverValues":["https://hooks.elsewhere.example/x"]}]}' }, V2024),
    400, 'Param.Invalid', 'NotificationSettings.NotificationReceivers.1.ReceiverValues.1.*allow-list');
  await expectApiError(call('CreateDIAlarmRule', { ...good, NotificationSettings: '{"Mute":5}' }, V2024), 400, 'Param.Invalid', 'NotificationSettings.Mute');
  await expectApiError(call('CreateDIAlarmRule', { ...good, DIJobId: 999999 }, V2024), 404, 'Invalid.DIJob.NotExists');

  const created = await call('CreateDIAlarmRule', { ...good, ClientToken: 'tok-1', Description: 'lag' }, V2024);
  assert.equal(typeof created.Id, 'number');
  assert.equal(created.DIAlarmRuleId, String(created.Id));
  assert.equal((await call('CreateDIAlarmRule', { ...good, ClientToken: 'tok-1' }, V2024)).Id, created.Id, 'ClientToken: the same rule');
  await call('UpdateDIAlarmRule', { Id: created.Id, Enabled: true, TriggerConditions: '[{"Severity":"Critical","Duration":1,"Threshold":600}]' }, V2024);
  const listed = await call('ListDIAlarmRules', { JobId: jobId }, V2024);
  const rule = listed.PagingInfo.DIJobAlarmRules.find((r: any) => r.Id === created.Id);
  assert.deepEqual(rule, {
    Id: created.Id, DIAlarmRuleId: created.Id, DIJobId: jobId, Name: 'r', Description: 'lag', Enabled: true, MetricType: 'Delay',
    NotificationSettings: { MuteInterval: 5, InhibitionInterval: 5, NotificationChannels: [], NotificationReceivers: [] },
    TriggerConditions: [{ Severity: 'Critical', Duration: 1, Threshold: 600 }],
  });
  assert.equal(typeof listed.PagingInfo.TotalCount, 'number');
  const task = await taskCall(client(), 'GetDISyncTask', projectId, jobId);
  assert.deepEqual(task.Data.AlarmList.find((a: any) => a.Id === created.Id), {
    Id: created.Id, RuleName: 'r', Description: 'lag', Enabled: true, Metric: 'bizDelay',
    AlarmRuleList: [{ Aggregator: 'avg', Comparator: '>=', Duration: 1, Level: 'CRITICAL', Threshold: 600 }],
    NotifyRule: { Interval: 5, Warning: [], Critical: [] },
  });
  assert.equal((await call('DeleteDIAlarmRule', { Id: created.Id, DIJobId: jobId }, V2024)).Success, true);
  await expectApiError(call('ListDIAlarmRules', { DIAlarmRuleId: created.Id }, V2024), 404, 'Invalid.DIAlarmRule.NotExists');
  await expectApiError(call('UpdateDIAlarmRule', { Id: created.Id, Name: 'x' }, V2024), 404, 'Invalid.DIAlarmRule.NotExists');
});

test('2020 alarm-rule operations: create, get, full-replace update, list, delete', async () => {
  const ns = JSON.stringify({ InhibitionInterval: 10, NotificationChannels: [{ Severity: 'Warning', Channels: ['Mail'] }], NotificationReceivers: [{ ReceiverType: 'AliyunUid', ReceiverValues: ['ops@example.com'] }] });
  const created = await call('CreateDIAlarmRule', { DIJobId: jobId, MetricType: 'Heartbeat', Description: 'status', Enabled: true, NotificationSettings: ns, TriggerConditions: '[{"Severity":"Warning","Duration":3}]' });
  assert.equal(typeof created.DIAlarmRuleId, 'number');
  const got = (await call('GetDIAlarmRule', { DIAlarmRuleId: created.DIAlarmRuleId })).DIAlarmRule;
  assert.equal(got.DIJobId, jobId);
  assert.equal(got.Enabled, true);
  assert.deepEqual(got.NotificationSettings, { InhibitionInterval: 10, NotificationChannels: [{ Severity: 'Warning', Channels: ['Mail'] }], NotificationReceivers: [{ ReceiverType: 'AliyunUid', ReceiverValues: ['ops@example.com'] }] });
  assert.ok(Number.isInteger(got.CreatedTime) && got.CreatedTime < 1e11 && typeof got.CreatedUid === 'string');
  await call('UpdateDIAlarmRule', { DIAlarmRuleId: created.DIAlarmRuleId, MetricType: 'FailoverCount', NotificationSettings: ns, TriggerConditions: '[{"Severity":"Critical","Duration":30,"Threshold":3}]' });
  const replaced = (await call('GetDIAlarmRule', { DIAlarmRuleId: created.DIAlarmRuleId })).DIAlarmRule;
  assert.equal(replaced.MetricType, 'FailoverCount');
  assert.equal(replaced.Enabled, false, 'a full replace: Enabled left out is false');
  assert.equal(replaced.Description, '');
  const list = (await call('ListDIAlarmRules', { DIJobId: jobId })).DIAlarmRulePaging;
  assert.ok(list.DIJobAlarmRules.some((r: any) => r.DIAlarmRuleId === created.DIAlarmRuleId));
  const in2024 = (await call('ListDIAlarmRules', { DIAlarmRuleId: created.DIAlarmRuleId }, V2024)).PagingInfo.DIJobAlarmRules[0];
  assert.equal(in2024.Name, `FailoverCount_${created.DIAlarmRuleId}`, 'one store: the 2020 rule reads in 2024 with a generated name, following its MetricType');
  await call('DeleteDIAlarmRule', { DIAlarmRuleId: created.DIAlarmRuleId });
  await expectApiError(call('GetDIAlarmRule', { DIAlarmRuleId: created.DIAlarmRuleId }), 404, 'Invalid.DIAlarmRule.NotExists');
});

test('a DDL event with its SQL; a DdlReport rule posts once, then Silence inside MuteInterval; a receiver that never answers holds nothing up', async () => {
  const ddl = await webhookRule('ddl_report', 'DdlReport', [{ Severity: 'Warning', DdlTypes: ['AddColumn'] }]);
  const hanging = await webhookRule('ddl_dead', 'DdlReport', [{ Severity: 'Warning' }], dead.url());
  await mdb.query('ALTER TABLE orders ADD COLUMN note VARCHAR(20)', [], 'mon_src');
  await mdb.query(`INSERT INTO orders (id, v, note) VALUES (${nextId++}, 'v', 'after ddl')`, [], 'mon_src');
  await waitUntil(async () => (await targetCount()) === await sourceCount(), 30_000, 'rows after the DDL applied');
  // The pipeline went on while the delivery to the silent receiver is still waiting for an answer.
  const deadAlarm = await waitUntil(async () => (await events('Alarm')).find((e) => e.Detail.includes('ddl_dead')), 10_000, 'the alarm of the silent receiver recorded');
  assert.equal(deadAlarm.Status, undefined, 'delivery still in flight while the rows already arrived');

  const ddlEvent = (await events('DDL'))[0];
  assert.equal(typeof ddlEvent.Id, 'string');
  assert.match(ddlEvent.CreateTime, /^\d{10}$/);
  assert.match(ddlEvent.SrcSql, /ADD COLUMN note/i);
  assert.match(ddlEvent.DstSql, /ALTER TABLE .*orders.* ADD COLUMN .*note/i, 'the statement applied at the target');
  assert.equal(ddlEvent.Action, 'Normal');
  assert.equal(ddlEvent.SrcTable, 'mon_src.orders');
  assert.equal(ddlEvent.DstTable, 'public.orders');

  const posted = await waitUntil(async () => hook.forRule(ddl.Id).length === 1 && hook.forRule(ddl.Id), 15_000, 'one POST for the DdlReport rule');
  const post = posted[0];
  assert.equal(post.headers['x-opendi-signature'], `sha256=${createHmac('sha256', SECRET).update(post.raw).digest('hex')}`);
  assert.equal(post.body.metricType, 'DdlReport');
  assert.equal(post.body.jobId, jobId);
  assert.equal(post.body.state, 'firing');
  assert.equal(typeof post.body.eventId, 'string');
  await waitUntil(async () => (await events('Alarm')).find((e) => e.Id === post.body.eventId)?.Status === 'Success', 10_000, 'the DdlReport alarm recorded as Success');

  await mdb.query('ALTER TABLE orders ADD COLUMN note2 VARCHAR(20)', [], 'mon_src');
  await waitUntil(async () => (await events('Alarm')).some((e) => e.Status === 'Silence' && e.Detail.includes('ddl_report')), 15_000, 'the second DDL muted');
  assert.equal(hook.forRule(ddl.Id).length, 1, 'nothing sent inside MuteInterval');
  await mdb.query('ALTER TABLE orders DROP COLUMN note2', [], 'mon_src');
  const dropped = await waitUntil(async () => (await events('DDL')).find((e) => /DROP COLUMN note2/i.test(e.SrcSql)), 15_000, 'the DROPCOLUMN event');
  assert.equal(dropped.Action, 'Ignore', 'the workspace default (UpdateDIProjectConfig) applied: the Start gave no ddlMarkMap');
  const failed = await waitUntil(async () => { const e = (await events('Alarm')).find((x) => x.Id === deadAlarm.Id); return e?.Status === 'Fail' && e; }, 30_000, 'the silent receiver recorded as Fail');
  assert.match(failed.Detail, /did not answer within 4000 ms \(2 attempts\)/);
  assert.equal(failed.Channels, 'Webhook');
  await call('DeleteDIAlarmRule', { Id: hanging.Id }, V2024);
});

test('killing the target connection is a Failover event; FailoverCount posts once, then Silence; the log around the failover', async () => {
  const rule = await webhookRule('failovers', 'FailoverCount', [{ Severity: 'Critical', Duration: 10, Threshold: 1 }]);
  // The target connection is killed while the task uses it: a lock holds its write, then its
  // backend is terminated (an idle pooled connection that dies is only replaced, no failover).
  const kill = async () => {
    const before = (await events('Failover')).length;
    await withDb(pgi, 'mon_dst', async (locker) => {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      await insertRows(5);
      const waiting = `SELECT pid FROM pg_stat_activity WHERE datname = 'mon_dst' AND wait_event_type = 'Lock' AND pid <> $1`;
      const pids = await waitUntil(() => withDb(pgi, 'mon_dst', async (c) => {
        const r = (await c.query(waiting, [await locker.query('SELECT pg_backend_pid() AS p').then((x) => x.rows[0].p)])).rows;
        return r.length > 0 ? r.map((x) => x.pid) : undefined;
      }), 30_000, 'the task writing to the target');
      await withDb(pgi, 'mon_dst', (c) => c.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]));
      await locker.query('ROLLBACK');
    });
    await waitUntil(async () => (await events('Failover')).length > before, 30_000, 'a Failover event');
    await waitForStatus(client(), projectId, jobId, ['RUN'], 30_000);
  };
  await kill();
  const failover = (await events('Failover'))[0];
  assert.match(failover.FailoverMessage, /terminat|connection|closed/i);
  await waitUntil(async () => hook.forRule(rule.Id).length === 1, 15_000, 'one POST for FailoverCount');
  assert.equal(hook.forRule(rule.Id)[0].body.severity, 'Critical');
  await kill();
  await waitUntil(async () => (await events('Alarm')).some((e) => e.Status === 'Silence' && e.Detail.includes('failovers')), 15_000, 'the second failover muted');
  assert.equal(hook.forRule(rule.Id).length, 1);
  await waitUntil(async () => (await targetCount()) === await sourceCount(), 30_000, 'rows applied after the failovers');

  const around = (await call('GetDIJobLog', { Id: jobId, FailoverId: Number(failover.Id) }, V2024)).Log as string;
  assert.match(around, /failover: restart 1 of at most 20/);
  const log = (await call('GetDIJobLog', { DIJobId: jobId, NodeType: 'MASTER' }, V2024)).Log as string;
  assert.match(log, /instance \d+ of task \d+ starting/);
  assert.match(log, /streaming/);
  assert.match(log, /schema change ADDCOLUMN on mon_src.orders: Normal/);
  assert.doesNotMatch(log, /unused-with-trust-auth/, 'no password in the log');
  assert.equal((await call('GetDIJobLog', { Id: jobId, PageNumber: 999 }, V2024)).Log, '');
  await expectApiError(call('GetDIJobLog', { Id: jobId, FailoverId: 1 }, V2024), 400, 'Param.Invalid', 'FailoverId');
  await call('DeleteDIAlarmRule', { Id: rule.Id }, V2024);
});

test('a Delay rule fires while a lock stalls the target, mails and posts, and resolves once the lock is gone', async () => {
  const rule = await webhookRule('lag', 'Delay', [{ Severity: 'Warning', Duration: 0.25, Threshold: 3 }], hook.url(), {
    NotificationChannels: [{ Severity: 'Warning', Channels: ['Webhook', 'Mail'] }],
    NotificationReceivers: [{ ReceiverType: 'WebHookUrl', ReceiverValues: [hook.url()] }, { ReceiverType: 'AliyunUid', ReceiverValues: ['ops@example.com'] }],
  });
  const locker = new pg.Client({ ...pgi.connectionConfig(), database: 'mon_dst' });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE public.orders IN ACCESS EXCLUSIVE MODE');
    await insertRows(10);
    const firing = await waitUntil(async () => hook.forRule(rule.Id).find((p) => p.body.state === 'firing'), 60_000, 'the Delay alarm posted');
    assert.ok(firing.body.value >= 3 && firing.body.threshold === 3);
    await waitUntil(async () => smtp.mails.some((m) => m.to.includes('ops@example.com') && m.data.includes('Delay on mon_task')), 15_000, 'the Delay alarm mailed');
  } finally {
    await locker.query('COMMIT').catch(() => undefined);
    await locker.end();
  }
  await waitUntil(async () => hook.forRule(rule.Id).find((p) => p.body.state === 'resolved'), 60_000, 'the Delay alarm resolved');
  const alarms = (await events('Alarm')).filter((e) => e.Type === 'Delay');
  assert.ok(alarms.some((e) => /recovered/.test(e.Detail)));
  await waitUntil(async () => (await events('Alarm')).filter((e) => e.Type === 'Delay').every((e) => e.Status === 'Success'), 15_000, 'both Delay alarms delivered');
  assert.equal(hook.forRule(rule.Id).filter((p) => p.body.state === 'firing').length, 1);
  await call('DeleteDIAlarmRule', { Id: rule.Id }, V2024);
});

test('ListRefDISyncTasks and DeleteFile; the task history leaves with the task', async () => {
  const from = await call('ListRefDISyncTasks', { ProjectId: projectId, DatasourceName: 'mon_src', RefType: 'from', TaskType: 'DI_REALTIME' });
  assert.deepEqual(from.Data.DISyncTasks, [{ NodeId: jobId, NodeName: 'mon_task', TaskType: 'DI_REALTIME', DiSourceDatasource: '["mon_src"]', DiDestinationDatasource: '["mon_dst"]' }]);
  assert.deepEqual((await call('ListRefDISyncTasks', { ProjectId: projectId, DatasourceName: 'mon_src', RefType: 'to', TaskType: 'DI_REALTIME' })).Data.DISyncTasks, []);
  assert.deepEqual((await call('ListRefDISyncTasks', { ProjectId: projectId, DatasourceName: 'mon_src', RefType: 'from', TaskType: 'DI_OFFLINE' })).Data.DISyncTasks, []);
  await expectApiError(call('ListRefDISyncTasks', { ProjectId: projectId, DatasourceName: 'mon_src', RefType: 'sideways', TaskType: 'DI_REALTIME' }), 400, 'Param.Invalid', 'RefType');
  await webhookRule('kept_until_delete', 'Heartbeat', [{ Severity: 'Warning', Duration: 3 }]);

  await expectApiError(call('DeleteFile', { ProjectId: projectId, FileId: jobId }), 400, 'Invalid.File.DeleteFailed', 'running');
  await taskCall(client(), 'StopDISyncInstance', projectId, jobId);
  await svc.stop(); // flushes the instance log and the event queue
  const rows = () => {
    const db = new Database(path.join(svc.dataDir, 'catalog.sqlite'), { readonly: true });
    try {
      return ['task_metric_samples', 'task_events', 'task_log_lines', 'alarm_rules']
        .map((t) => (db.prepare(`SELECT COUNT(*) AS n FROM ${t} WHERE task_id = ?`).get(jobId) as { n: number }).n);
    } finally { db.close(); }
  };
  assert.ok(rows().every((n) => n > 0), `history kept while the task exists: ${rows()}`);
  await svc.restart();
  const deleted = await call('DeleteFile', { ProjectId: projectId, FileId: jobId });
  assert.deepEqual({ ...deleted, RequestId: undefined }, { RequestId: undefined, Success: true, HttpStatusCode: 200, DeploymentId: null });
  assert.deepEqual(rows(), [0, 0, 0, 0]);
  await expectApiError(call('ListDIJobEvents', { DIJobId: jobId, EventType: 'DDL', StartTime: 0, EndTime: 1 }, V2024), 404, 'Invalid.DIJob.NotExists');
});

/** Prometheus text exposition: `name{a="b",...} value` lines. */
function parseExposition(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, '$1');
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}
