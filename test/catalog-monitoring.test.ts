/**
 * The monitoring store contract (src/store/monitoring-store.ts) against both catalog adapters:
 * retention (downsampling, pruning caps), events newest first, log lines in order, alarm rules
 * (ids after 30000, client tokens unique per task), and a task's history gone with its file.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runRetention } from '../src/runtime/monitoring/retention.ts';
import { parseMonitoringConfig } from '../src/runtime/monitoring/monitoring-config.ts';
import type { MetricSample } from '../src/store/monitoring-store.ts';
import { UniqueViolationError } from '../src/store/catalog-store.ts';
import { CATALOG_KINDS, stopCatalogServers } from './harness/catalogs.ts';

after(stopCatalogServers);

const NOW = 1_800_000_000_000;

function sample(taskId: number, ts: number, p: Partial<MetricSample> = {}): MetricSample {
  return {
    taskId, instanceId: 1, ts, resolution: 5, recordsRead: 0, recordsWritten: 0, readSpeed: null, writeSpeed: null, delaySeconds: null,
    dirtyRecords: 0, cpuPercent: null, phase: 'incremental', tablesLoaded: 1, tablesTotal: 1, rowsLoaded: 0, ...p,
  };
}

for (const { kind, fresh } of CATALOG_KINDS) {
  test(`${kind}: retention downsamples and caps; events, logs and alarm rules round-trip; history goes with the file`, async () => {
    const store = await (await fresh()).open();
    try {
      const owner = await store.createPrincipal('owner', true);
      const p = await store.createProject({ identifier: 'ws', name: 'ws', description: '', ownerPrincipalId: owner.id, tags: [], disableDevelopment: false, isAllowDownload: 1, projectMode: 2, resourceGroupId: '' });
      const f = await store.createTaskFile({ projectId: p.id, name: 't', fileType: 900, taskType: 'DI_REALTIME', folderPath: '', content: '{}', ownerPrincipalId: owner.id });
      const now = Math.floor(NOW / 1000);
      const day = 86_400;
      const raw: MetricSample[] = [];
      for (let ts = now - 9 * day; ts < now; ts += 5) if (ts % 3600 < 60) raw.push(sample(f.id, ts, { recordsRead: ts - now + 9 * day, readSpeed: 1.5 }));
      await store.monitoring.appendMetricSamples([...raw, sample(999_999, now)]);
      assert.deepEqual(await store.monitoring.lastMetricSample(f.id, 1), raw.at(-1), 'a sample reads back as written (REAL and BIGINT alike)');
      for (let i = 0; i < 600; i++) await store.monitoring.appendEvent({ taskId: f.id, instanceId: 1, kind: 'Status', createdAt: NOW - (600 - i) * 60_000, detail: `e${i}` });
      assert.equal((await store.monitoring.appendEvent({ taskId: 999_999, instanceId: 1, kind: 'Status', createdAt: NOW })).id, 0, 'no event for a missing file');
      await store.monitoring.appendLogLines(Array.from({ length: 300 }, (_, i) => ({ instanceId: 5, seq: i + 1, taskId: f.id, ts: NOW, level: 'INFO', text: `line ${i}` })));
      const result = await runRetention(store.monitoring, { ...parseMonitoringConfig({}), eventsPerTask: 500, logLinesPerInstance: 100 }, NOW);
      assert.ok(result.downsampled > 0);
      const minute = await store.monitoring.listMetricSamples(f.id, 60, 0, now);
      assert.ok(minute.length > 0 && minute.every((s) => s.ts % 60 === 0 && s.ts >= now - 7 * day - 60 && s.ts < now - day));
      assert.ok((await store.monitoring.listMetricSamples(f.id, 5, 0, now)).every((s) => s.ts >= now - day));
      const events = await store.monitoring.listEvents(f.id, { kinds: ['Status'], fromMs: 0, toMs: NOW }, 0, 2);
      assert.equal(events.total, 500);
      assert.deepEqual(events.items.map((e) => e.detail), ['e599', 'e598']);
      const lines = await store.monitoring.readLogLines(5, 0, 0, 1000);
      assert.equal(lines.length, 100);
      assert.equal(lines[0].text, 'line 200');
      assert.equal(await store.monitoring.latestLogInstance(f.id), 5);

      const rule = { taskId: f.id, name: 'r', description: '', enabled: true, metricType: 'Delay', notificationSettings: { a: 1 }, triggerConditions: [{ b: 2 }], clientToken: 'ct', createdUid: 'u' };
      const r1 = await store.monitoring.createAlarmRule(rule);
      assert.equal(r1.id, 30001);
      await assert.rejects(store.monitoring.createAlarmRule(rule), UniqueViolationError);
      await store.monitoring.updateAlarmRule(r1.id, { enabled: false, name: 'r2' }, 'v');
      assert.deepEqual({ ...(await store.monitoring.getAlarmRule(r1.id))!, createdAt: 0, updatedAt: 0 },
        { ...rule, id: r1.id, enabled: false, name: 'r2', updatedUid: 'v', createdAt: 0, updatedAt: 0 });
      assert.equal((await store.monitoring.listEnabledAlarmRules()).length, 0);

      await store.deleteTaskFile(f.id);
      assert.equal((await store.monitoring.listMetricSamples(f.id, 60, 0, now)).length, 0);
      assert.equal((await store.monitoring.readLogLines(5, 0, 0, 10)).length, 0);
      assert.equal(await store.monitoring.getAlarmRule(r1.id), undefined);
    } finally {
      await store.close();
    }
  });
}
