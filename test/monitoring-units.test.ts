/**
 * Pure parts of monitoring and alerting (issue 10): rule evaluation, rule input checks,
 * downsampling and retention (on a real SQLite catalog), payload formats and signatures, the
 * webhook allow-list, delivery routing, redaction, and the POST rules against a real HTTP
 * receiver (timeout, 500, redirect).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { conditionValue, ddlFiring, evaluateRule, type TaskSnapshot } from '../src/runtime/monitoring/alarm-evaluation.ts';
import {
  RuleInputError, checkNotificationSettings, checkTriggerConditions, parseMetricType, ruleFromRecord, type AlarmRule,
} from '../src/runtime/monitoring/alarm-rule.ts';
import { downsample, limitPoints, seriesOf } from '../src/runtime/monitoring/metric-series.ts';
import { runRetention } from '../src/runtime/monitoring/retention.ts';
import { parseMonitoringConfig } from '../src/runtime/monitoring/monitoring-config.ts';
import { redactFields, redactText } from '../src/runtime/monitoring/redact.ts';
import { checkWebhookUrl, parseHostAllowList } from '../src/notify/host-allow-list.ts';
import { webhookPayload } from '../src/notify/webhook-payload.ts';
import { dingTalkMessage, dingTalkUrl, feishuMessage, feishuUrl, robotAccepted } from '../src/notify/robot-messages.ts';
import { routeDeliveries } from '../src/notify/route-deliveries.ts';
import { signBody } from '../src/notify/notifier.ts';
import { postJson } from '../src/notify/http-post.ts';
import { DeliveryQueue } from '../src/notify/delivery-queue.ts';
import type { AlarmNotice } from '../src/notify/alarm-notice.ts';
import type { MetricSample } from '../src/store/monitoring-store.ts';
import { openSqliteCatalog } from '../src/store/sqlite/sqlite-catalog-store.ts';

const NOW = 1_800_000_000_000;

function rule(metricType: AlarmRule['metricType'], conditions: Partial<AlarmRule['conditions'][number]>[]): AlarmRule {
  return {
    id: 1, taskId: 2, name: 'r', metricType, muteMinutes: 5,
    conditions: conditions.map((c) => ({ severity: 'Warning', durationMinutes: 1, threshold: null, ddlTypes: [], ...c })),
    targets: { channels: [], receivers: [] },
  };
}
function snapshot(p: Partial<TaskSnapshot>): TaskSnapshot {
  return { nowMs: NOW, status: 'RUN', desired: 'RUN', statusSinceMs: NOW - 3_600_000, samples: [], failovers: [], ...p };
}
const delays = (...values: (number | null)[]) => values.map((d, i) => ({ ts: NOW / 1000 - (values.length - 1 - i) * 5, delaySeconds: d, cpuPercent: null }));

test('Delay: average over the window, >=, null delays left out, highest severity wins', () => {
  const r = rule('Delay', [{ threshold: 10, durationMinutes: 1 }, { severity: 'Critical', threshold: 40, durationMinutes: 1 }]);
  assert.equal(evaluateRule(r, snapshot({ samples: delays(0, 0, 29) })), null, 'avg 9.67 < 10');
  assert.deepEqual(evaluateRule(r, snapshot({ samples: delays(0, 0, 30) })), { severity: 'Warning', value: 10, threshold: 10, durationMinutes: 1 }, 'avg 10 >= 10');
  assert.equal(evaluateRule(r, snapshot({ samples: delays(null, 60, 60) }))?.severity, 'Critical', 'null (full load) samples do not count');
  assert.equal(evaluateRule(r, snapshot({ samples: [] })), null, 'no sample: not firing');
  const old = [{ ts: NOW / 1000 - 120, delaySeconds: 500, cpuPercent: null }, ...delays(0)];
  assert.equal(evaluateRule(r, snapshot({ samples: old })), null, 'samples before the window are left out');
  const latest = rule('Delay', [{ threshold: 10, durationMinutes: 0 }]);
  assert.equal(evaluateRule(latest, snapshot({ samples: delays(100, 100, 5) })), null, 'Duration 0: the latest sample only');
  assert.equal(evaluateRule(latest, snapshot({ samples: delays(0, 0, 12) }))?.value, 12);
});

test('Heartbeat: FAILED, or meant to run but not RUN, for at least Duration minutes', () => {
  const r = rule('Heartbeat', [{ durationMinutes: 3 }]);
  assert.equal(evaluateRule(r, snapshot({ status: 'RUN' })), null);
  assert.equal(evaluateRule(r, snapshot({ status: 'WAIT', statusSinceMs: NOW - 120_000 })), null, 'WAIT for 2 of 3 minutes');
  assert.equal(evaluateRule(r, snapshot({ status: 'WAIT', statusSinceMs: NOW - 180_000 }))?.value, 3);
  assert.equal(evaluateRule(r, snapshot({ status: 'FAILED', desired: 'STOP', statusSinceMs: NOW - 600_000 }))?.threshold, null);
  assert.equal(evaluateRule(r, snapshot({ status: 'PAUSE', desired: 'STOP', statusSinceMs: 0 })), null, 'stopped by the operator');
});

test('FailoverCount counts failovers within Duration (>=); DdlReport matches DdlTypes in either spelling', () => {
  const r = rule('FailoverCount', [{ threshold: 2, durationMinutes: 10 }]);
  assert.equal(evaluateRule(r, snapshot({ failovers: [NOW - 60_000, NOW - 700_000] })), null, 'one inside the window');
  assert.equal(evaluateRule(r, snapshot({ failovers: [NOW - 60_000, NOW - 500_000] }))?.value, 2);
  assert.equal(conditionValue('DdlReport', r.conditions[0], snapshot({})), null);
  const ddl = ruleFromRecord({
    id: 1, taskId: 2, name: 'd', description: '', enabled: true, metricType: 'DdlReport', clientToken: null, createdAt: 0, updatedAt: 0, createdUid: '', updatedUid: '',
    notificationSettings: {}, triggerConditions: [{ Severity: 'Warning', DdlTypes: ['AddColumn'] }, { Severity: 'critical', DdlReportTags: ['DROPTABLE'] }],
  });
  assert.equal(ddlFiring(ddl, 'ADDCOLUMN')?.severity, 'Warning');
  assert.equal(ddlFiring(ddl, 'DROPTABLE')?.severity, 'Critical');
  assert.equal(ddlFiring(ddl, 'RENAMECOLUMN'), null);
  assert.equal(ddlFiring(rule('DdlReport', [{}]), 'RENAMECOLUMN')?.severity, 'Warning', 'no DdlTypes: every DDL');
});

test('rule input: MetricType names, and every bad NotificationSettings / TriggerConditions path is named', () => {
  assert.equal(parseMetricType('bizDelay'), 'Delay');
  assert.equal(parseMetricType('heartbeat'), 'Heartbeat');
  const bad = (fn: () => void, path: string) => assert.throws(fn, (e: unknown) => e instanceof RuleInputError && e.path === path);
  bad(() => parseMetricType('Latency'), 'MetricType');
  const allow = parseHostAllowList('hooks.example.com,127.0.0.1:9000');
  const ns = (x: Record<string, unknown>) => () => checkNotificationSettings(x, allow);
  bad(ns({ MuteInterval: -1 }), 'NotificationSettings.MuteInterval');
  bad(ns({ MuteInterval: 5, InhibitionInterval: 6 }), 'NotificationSettings.InhibitionInterval');
  bad(ns({ NotificationChannels: [{ Severity: 'Info', Channels: ['Mail'] }] }), 'NotificationSettings.NotificationChannels.1.Severity');
  bad(ns({ NotificationChannels: [{ Severity: 'Warning', Channels: ['Mail', 'Pager'] }] }), 'NotificationSettings.NotificationChannels.1.Channels.2');
  bad(ns({ NotificationReceivers: [{ ReceiverType: 'Slack', ReceiverValues: ['x'] }] }), 'NotificationSettings.NotificationReceivers.1.ReceiverType');
  bad(ns({ NotificationReceivers: [{ ReceiverType: 'WebHookUrl', ReceiverValues: ['https://hooks.example.com/a', 'http://10.0.0.1/x'] }] }), 'NotificationSettings.NotificationReceivers.1.ReceiverValues.2');
  ns({ MuteInterval: 0, NotificationReceivers: [{ ReceiverType: 'WebHookUrl', ReceiverValues: ['http://127.0.0.1:9000/hook'] }] })();
  bad(() => checkTriggerConditions([], 'Delay'), 'TriggerConditions');
  bad(() => checkTriggerConditions([{ Severity: 'Warning', Duration: 5 }], 'Delay'), 'TriggerConditions.1.Threshold');
  bad(() => checkTriggerConditions([{ Severity: 'Warning', Threshold: 5 }], 'Delay'), 'TriggerConditions.1.Duration');
  bad(() => checkTriggerConditions([{ Severity: 'Warning', Duration: 5, Threshold: 1.5 }], 'FailoverCount'), 'TriggerConditions.1.Threshold');
  bad(() => checkTriggerConditions([{ Severity: 'Warning', Duration: 5, Threshold: 1 }, { Severity: 'warning', Duration: 9, Threshold: 2 }], 'Delay'), 'TriggerConditions.2.Severity');
  bad(() => checkTriggerConditions([{ Severity: 'Warning', DdlTypes: ['AddColumn', 'Insert'] }], 'DdlReport'), 'TriggerConditions.1.DdlTypes.2');
  checkTriggerConditions([{ Severity: 'Critical', DdlTypes: ['AddColumn', 'DROPTABLE'] }], 'DdlReport');
});

function sample(taskId: number, ts: number, p: Partial<MetricSample> = {}): MetricSample {
  return {
    taskId, instanceId: 1, ts, resolution: 5, recordsRead: 0, recordsWritten: 0, readSpeed: null, writeSpeed: null, delaySeconds: null,
    dirtyRecords: 0, cpuPercent: null, phase: 'incremental', tablesLoaded: 1, tablesTotal: 1, rowsLoaded: 0, ...p,
  };
}

test('downsampling: totals keep the bucket maximum, rates and delay the average of known values; per task and minute', () => {
  const rows = [
    sample(7, 600, { recordsRead: 10, recordsWritten: 8, readSpeed: 2, writeSpeed: 1, delaySeconds: 4 }),
    sample(7, 630, { recordsRead: 40, recordsWritten: 30, readSpeed: 6, writeSpeed: null, delaySeconds: null, dirtyRecords: 3 }),
    sample(7, 665, { recordsRead: 50, recordsWritten: 50, readSpeed: 1, writeSpeed: 3, delaySeconds: 0 }),
    sample(8, 610, { recordsRead: 5, delaySeconds: 9 }),
  ];
  const down = downsample(rows, 60);
  assert.equal(down.length, 3);
  assert.deepEqual(down[0], {
    ...sample(7, 600, { recordsRead: 40, recordsWritten: 30, readSpeed: 4, writeSpeed: 1, delaySeconds: 4, dirtyRecords: 3 }), resolution: 60,
  });
  assert.equal(down[1].ts, 660);
  assert.equal(down[2].taskId, 8);
  assert.deepEqual(seriesOf('delayTime', down), [{ Time: 600, Value: 4 }, { Time: 660, Value: 0 }, { Time: 600, Value: 9 }]);
  assert.deepEqual(seriesOf('speedRecordsWrite', [sample(1, 5, { writeSpeed: 1 / 3 })]), [{ Time: 5, Value: 0.33 }]);
  const many = Array.from({ length: 5000 }, (_, i) => sample(1, i * 5, { recordsRead: i }));
  const limited = limitPoints(many, 0, 25_000, 1000);
  assert.ok(limited.length <= 1000 && limited.length > 300, `${limited.length} points`);
});

test('retention: raw samples past a day become minute rows, old ones go, events and logs stay under their caps', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-retention-'));
  const store = await openSqliteCatalog(path.join(dir, 'catalog.sqlite'));
  try {
    const owner = await store.createPrincipal('owner', true);
    const p = await store.createProject({ identifier: 'ws', name: 'ws', description: '', ownerPrincipalId: owner.id, tags: [], disableDevelopment: false, isAllowDownload: 1, projectMode: 2, resourceGroupId: '' });
    const f = await store.createTaskFile({ projectId: p.id, name: 't', fileType: 23, taskType: 'DI_REALTIME', folderPath: '', content: '{}', ownerPrincipalId: owner.id });
    const now = Math.floor(NOW / 1000);
    const day = 86_400;
    const raw: MetricSample[] = [];
    for (let ts = now - 9 * day; ts < now; ts += 5) if (ts % 3600 < 300) raw.push(sample(f.id, ts, { recordsRead: ts - now + 9 * day }));
    await store.monitoring.appendMetricSamples(raw);
    const cfg = parseMonitoringConfig({});
    for (let i = 0; i < 2000; i++) await store.monitoring.appendEvent({ taskId: f.id, instanceId: 1, kind: 'Status', createdAt: NOW - (2000 - i) * 60_000, detail: `e${i}` });
    await store.monitoring.appendLogLines(Array.from({ length: 300 }, (_, i) => ({ instanceId: 5, seq: i + 1, taskId: f.id, ts: NOW, level: 'INFO', text: `line ${i}` })));
    const result = await runRetention(store.monitoring, { ...cfg, eventsPerTask: 500, logLinesPerInstance: 100 }, NOW);
    assert.ok(result.downsampled > 0);
    const minute = await store.monitoring.listMetricSamples(f.id, 60, 0, now);
    const rawLeft = await store.monitoring.listMetricSamples(f.id, 5, 0, now);
    assert.ok(minute.length > 0 && minute.every((s) => s.ts >= now - 7 * day - 60 && s.ts < now - day), 'minute rows span day 1 to day 7');
    assert.ok(rawLeft.every((s) => s.ts >= now - day), 'raw rows only for the last day');
    assert.ok(minute.every((s) => s.ts % 60 === 0));
    const total = await store.monitoring.listEvents(f.id, { kinds: ['Status'], fromMs: 0, toMs: NOW }, 0, 1);
    assert.equal(total.total, 500, 'events capped per task, newest kept');
    assert.equal(total.items[0].detail, 'e1999');
    const lines = await store.monitoring.readLogLines(5, 0, 0, 1000);
    assert.equal(lines.length, 100);
    assert.equal(lines[0].text, 'line 200');
    await store.monitoring.deleteTaskHistory(f.id);
    assert.equal((await store.monitoring.listMetricSamples(f.id, 60, 0, now)).length, 0);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const NOTICE: AlarmNotice = {
  eventId: 41, state: 'firing', at: NOW, projectId: 10000, workspace: 'ws', jobId: 100001, jobName: 'orders_rt', instanceId: 3,
  jobStatus: 'RUN', ruleId: 30001, ruleName: 'delay', metricType: 'Delay', severity: 'Warning', value: 312, threshold: 300, durationMinutes: 5, detail: 'd',
};

test('payloads: the webhook JSON, its HMAC signature, and the DingTalk and Feishu robot messages', () => {
  const body = webhookPayload(NOTICE);
  assert.deepEqual(body, {
    source: 'opendi', eventId: '41', eventType: 'Alarm', state: 'firing', time: NOW / 1000, projectId: 10000, workspace: 'ws', jobId: 100001,
    jobName: 'orders_rt', instanceId: 3, ruleId: 30001, ruleName: 'delay', metricType: 'Delay', severity: 'Warning', value: 312, threshold: 300,
    durationMinutes: 5, jobStatus: 'RUN', detail: 'd',
  });
  const text = JSON.stringify(body);
  assert.equal(signBody('0123456789abcdef', text), `sha256=${createHmac('sha256', '0123456789abcdef').update(text).digest('hex')}`);
  assert.equal((dingTalkMessage(NOTICE) as any).msgtype, 'text');
  assert.match((dingTalkMessage(NOTICE) as any).text.content, /WARNING: Delay on orders_rt/);
  assert.equal((feishuMessage(NOTICE) as any).msg_type, 'text');
  assert.match((feishuMessage(NOTICE) as any).content.text, /rule: delay \(30001\)/);
  assert.equal(dingTalkUrl('http://h/robot/send', 'a b'), 'http://h/robot/send?access_token=a%20b');
  assert.equal(feishuUrl('http://h/bot/v2/hook', 't/1'), 'http://h/bot/v2/hook/t%2F1');
  assert.deepEqual(robotAccepted('ding', '{"errcode":0,"errmsg":"ok"}'), { ok: true });
  assert.equal(robotAccepted('ding', '{"errcode":310000,"errmsg":"keywords not in content"}').ok, false);
  assert.deepEqual(robotAccepted('feishu', '{"StatusCode":0}'), { ok: true });
  assert.equal(robotAccepted('feishu', '{"code":19021,"msg":"sign match fail"}').ok, false);
});

test('webhook allow-list, delivery routing and redaction', () => {
  const list = parseHostAllowList('hooks.example.com, *.corp.example:8443, [::1]');
  assert.equal(checkWebhookUrl(list, 'https://hooks.example.com/x'), null);
  assert.match(checkWebhookUrl(list, 'https://evil.example.com/x')!, /allow-list/);
  assert.equal(checkWebhookUrl(list, 'https://a.corp.example:8443/x'), null);
  assert.match(checkWebhookUrl(list, 'https://corp.example:8443/x')!, /allow-list/);
  assert.match(checkWebhookUrl(list, 'https://a.corp.example/x')!, /allow-list/, 'port must match');
  assert.match(checkWebhookUrl(list, 'ftp://hooks.example.com/x')!, /http/);
  assert.match(checkWebhookUrl(list, 'https://u:p@hooks.example.com/x')!, /user name/);
  assert.match(checkWebhookUrl(parseHostAllowList(''), 'https://hooks.example.com/')!, /not allowed any/);
  assert.throws(() => parseHostAllowList('http://x'));
  const targets = { channels: [{ severity: 'Critical', channels: ['Webhook', 'Sms'] }], receivers: [{ type: 'WebHookUrl', values: ['u1'] }, { type: 'DingToken', values: ['t1'] }] };
  assert.deepEqual(routeDeliveries(targets, 'Warning').deliveries.map((d) => d.channel), ['Webhook', 'Ding'], 'no Channels entry: every receiver');
  const critical = routeDeliveries(targets, 'Critical');
  assert.deepEqual(critical.deliveries.map((d) => `${d.channel}:${d.value}`), ['Webhook:u1']);
  assert.deepEqual(critical.problems, ['channel Sms has no AliyunUid receiver']);
  assert.deepEqual(routeDeliveries({ channels: [], receivers: [] }, 'Warning').problems, ['the rule has no receiver to notify']);
  assert.equal(redactText('connect postgres://app:s3cret@db:5432/x password=hunter2 ok'), 'connect postgres://***:***@db:5432/x password=*** ok');
  assert.deepEqual(redactFields({ password: 'x', nested: { accessKeySecret: 'y', note: 'token: abc' }, n: 1 }), { password: '***', nested: { accessKeySecret: '***', note: 'token: ***' }, n: 1 });
});

test('POST rules against a real receiver: 5xx retried then Fail, 4xx and redirects final, a silent receiver times out; the queue is bounded', async () => {
  const hits: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    hits[req.url!] = (hits[req.url!] ?? 0) + 1;
    if (req.url === '/ok') res.end('fine');
    else if (req.url === '/500') { res.statusCode = 500; res.end(); }
    else if (req.url === '/404') { res.statusCode = 404; res.end(); }
    else if (req.url === '/302') { res.writeHead(302, { location: '/ok' }); res.end(); }
    // '/hang': never answers
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const o = { timeoutMs: 300, attempts: 3, backoffMs: 20 };
  try {
    assert.deepEqual(await postJson(`${base}/ok`, '{}', o), { ok: true });
    const five = await postJson(`${base}/500`, '{}', o);
    assert.match(five.reason!, /HTTP 500 \(3 attempts\)/);
    assert.equal(hits['/500'], 3);
    assert.match((await postJson(`${base}/404`, '{}', o)).reason!, /HTTP 404$/);
    assert.equal(hits['/404'], 1, 'a 4xx is final');
    assert.match((await postJson(`${base}/302`, '{}', o)).reason!, /redirects are not followed/);
    assert.equal(hits['/ok'], 1, 'the redirect was not followed');
    const t0 = performance.now();
    const hang = await postJson(`${base}/hang`, '{}', { ...o, attempts: 2 });
    assert.match(hang.reason!, /did not answer within 300 ms \(2 attempts\)/);
    assert.ok(performance.now() - t0 < 5_000, 'bounded by attempts x timeout + backoff');
    assert.match((await postJson('http://127.0.0.1:1/x', '{}', { ...o, attempts: 1 })).reason!, /could not be reached/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
  const queue = new DeliveryQueue(1, 1);
  let release!: () => void;
  const first = queue.run(() => new Promise<string>((r) => { release = () => r('a'); }));
  const second = queue.run(async () => 'b');
  assert.equal(await queue.run(async () => 'c'), null, 'full: refused at once');
  release();
  assert.deepEqual(await Promise.all([first, second]), ['a', 'b']);
});
