/**
 * The cost of monitoring (issue 10): PG -> PG throughput of the same workload through a service
 * with monitoring off (OPENDI_MONITORING=off) and through one with monitoring on and two enabled
 * alarm rules on the task (Delay and FailoverCount, posting to a local webhook receiver), runs
 * alternating off/on so drift hits both alike; and the catalog bytes one task's metric history
 * takes per day, raw (one sample every 5 s) and downsampled (one a minute), measured with SQLite's
 * dbstat on a scratch catalog.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startPostgres, type PgInstance } from '../test/harness/postgres.ts';
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { WebhookReceiver } from '../test/harness/webhook-receiver.ts';
import { openSqliteCatalog } from '../src/store/sqlite/sqlite-catalog-store.ts';
import { downsample } from '../src/runtime/monitoring/metric-series.ts';
import type { MetricSample } from '../src/store/monitoring-store.ts';
import { PG_TABLE_DDL, changesOf, digestOf, median, pinnedTask, stopTask, timeOpenDI, writePgWorkload, type Side, type Workload } from './common.ts';

/** Long enough (about 15 s at 60k changes/s) for several samples and alarm evaluations to fall inside a run. */
export const MONITORING_WORKLOAD: Workload = { inserts: 600_000, updates: 240_000, deletes: 160_000, maxTxnRows: 1000 };

export interface MonitoringBenchResult {
  runs: number;
  changes: number;
  offPerSec: number;
  onPerSec: number;
  /** 1 - on/off: the share of throughput monitoring costs. */
  cost: number;
  rawBytesPerTaskDay: number;
  downsampledBytesPerTaskDay: number;
}

export async function benchMonitoring(runs: number, w: Workload = MONITORING_WORKLOAD, log: (m: string) => void = () => undefined): Promise<MonitoringBenchResult> {
  const pgi = await startPostgres();
  const hook = await WebhookReceiver.start();
  const offs: number[] = [];
  const ons: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      for (const mode of ['off', 'on'] as const) {
        // A fresh service per run: each starts from an empty catalog, so runs differ only in the mode.
        const env: Record<string, string> = mode === 'off' ? { OPENDI_MONITORING: 'off' } : { OPENDI_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
        const svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn', ...env } });
        try {
          const perSec = await oneRun(pgi, svc, `${mode}${i}`, w, mode === 'on' ? hook.url() : null);
          log(`monitoring ${mode} run ${i + 1}/${runs}: ${Math.round(perSec)} changes/s`);
          (mode === 'off' ? offs : ons).push(perSec);
        } finally {
          await svc.destroy();
        }
      }
    }
  } finally {
    await hook.close();
    await pgi.destroy();
  }
  const offPerSec = median(offs);
  const onPerSec = median(ons);
  return { runs, changes: changesOf(w), offPerSec, onPerSec, cost: 1 - onPerSec / offPerSec, ...await storagePerTaskDay() };
}

async function oneRun(pgi: PgInstance, svc: OpenDIService, name: string, w: Workload, webhook: string | null): Promise<number> {
  const src: Side = { kind: 'pg', inst: pgi, db: `${name}_s` };
  const dst: Side = { kind: 'pg', inst: pgi, db: `${name}_d` };
  for (const s of [src, dst]) { await pgi.createDatabase(s.db); await pgi.query(PG_TABLE_DDL, [], s.db); }
  const task = await pinnedTask(svc, src, dst);
  if (webhook) {
    const settings = JSON.stringify({ MuteInterval: 5, NotificationReceivers: [{ ReceiverType: 'WebHookUrl', ReceiverValues: [webhook] }] });
    for (const [metric, cond] of [['Delay', { Severity: 'Warning', Duration: 1, Threshold: 3600 }], ['FailoverCount', { Severity: 'Critical', Duration: 10, Threshold: 1 }]] as const) {
      await task.client.call('CreateDIAlarmRule', { DIJobId: task.fileId, Name: `bench_${metric}`, MetricType: metric, Enabled: true, NotificationSettings: settings, TriggerConditions: JSON.stringify([cond]) }, '2024-05-18');
    }
  }
  await writePgWorkload(pgi, src.db, w);
  const want = await digestOf(src);
  const seconds = await timeOpenDI(task, dst, w, want, `monitoring ${name}`);
  await stopTask(task);
  return changesOf(w) / seconds;
}

/** Bytes of one task's samples for one day: 17,280 raw rows (5 s), or 1,440 minute rows. */
async function storagePerTaskDay(): Promise<{ rawBytesPerTaskDay: number; downsampledBytesPerTaskDay: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-bench-storage-'));
  const file = path.join(dir, 'catalog.sqlite');
  try {
    const store = await openSqliteCatalog(file);
    const db = new Database(file);
    db.prepare(`INSERT INTO principals(id, name, is_admin, created_at) VALUES ('p', 'p', 1, 0)`).run();
    db.prepare(`INSERT INTO projects(id, identifier, name, description, owner_principal_id, tags, disable_development, is_allow_download, project_mode, resource_group_id, created_at, modified_at)
      VALUES (1, 'w', 'w', '', 'p', '[]', 0, 1, 2, '', 0, 0)`).run();
    db.prepare(`INSERT INTO task_files(id, project_id, name, file_type, task_type, folder_path, content, version, owner_principal_id, last_edit_principal_id, created_at, modified_at)
      VALUES (1, 1, 't', 23, 'DI_REALTIME', '', '{}', 1, 'p', 'p', 0, 0)`).run();
    const day: MetricSample[] = [];
    const t0 = 1_800_000_000;
    for (let i = 0; i < 17_280; i++) {
      day.push({
        taskId: 1, instanceId: 7, ts: t0 + i * 5, resolution: 5, recordsRead: 1_000_000 + i * 4_000, recordsWritten: 1_000_000 + i * 3_990,
        readSpeed: 800 + (i % 97), writeSpeed: 798 + (i % 89), delaySeconds: (i % 13) / 10, dirtyRecords: 3, cpuPercent: 11.5 + (i % 7),
        phase: 'incremental', tablesLoaded: 12, tablesTotal: 12, rowsLoaded: 1_000_000,
      });
    }
    const bytes = () => (db.prepare(`SELECT SUM(pgsize) AS b FROM dbstat WHERE name = 'task_metric_samples'`).get() as { b: number }).b;
    const empty = bytes();
    await store.monitoring.appendMetricSamples(day);
    const raw = bytes() - empty;
    await store.monitoring.replaceMetricSamples(day, downsample(day, 60));
    const down = bytes() - empty;
    db.close();
    await store.close();
    return { rawBytesPerTaskDay: raw, downsampledBytesPerTaskDay: down };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
