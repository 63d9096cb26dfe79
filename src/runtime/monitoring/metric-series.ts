/**
 * Pure functions over metric samples: downsampling into buckets, and the ListDIJobMetrics series
 * (spec/di-api-audit.md section 4.2: the six metric names, `SeriesList[{Time, Value}]`).
 * Downsampling keeps what each figure means: totals take the bucket's last (largest) value, rates,
 * delay and CPU the average of the samples that have one, dirty records the largest.
 */
import type { MetricSample } from '../../store/monitoring-store.ts';

export const METRIC_NAMES = ['delayTime', 'totalRecordsRead', 'speedRecordsRead', 'totalRecordsWrite', 'speedRecordsWrite', 'resourceUtilization'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

const FIELD: Record<MetricName, keyof MetricSample> = {
  delayTime: 'delaySeconds', totalRecordsRead: 'recordsRead', speedRecordsRead: 'readSpeed',
  totalRecordsWrite: 'recordsWritten', speedRecordsWrite: 'writeSpeed', resourceUtilization: 'cpuPercent',
};

/** Buckets of `bucketSec` per task, in time order; each bucket's `ts` is its start. */
export function downsample(samples: MetricSample[], bucketSec: number): MetricSample[] {
  const buckets = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const key = `${s.taskId}:${Math.floor(s.ts / bucketSec) * bucketSec}`;
    const list = buckets.get(key);
    if (list) list.push(s); else buckets.set(key, [s]);
  }
  const out: MetricSample[] = [];
  for (const list of buckets.values()) {
    list.sort((a, b) => a.ts - b.ts);
    const last = list[list.length - 1];
    const max = (k: 'recordsRead' | 'recordsWritten' | 'dirtyRecords' | 'tablesLoaded' | 'tablesTotal' | 'rowsLoaded') => Math.max(...list.map((s) => s[k]));
    out.push({
      taskId: last.taskId, instanceId: last.instanceId, ts: Math.floor(last.ts / bucketSec) * bucketSec, resolution: bucketSec,
      recordsRead: max('recordsRead'), recordsWritten: max('recordsWritten'),
      readSpeed: average(list.map((s) => s.readSpeed)), writeSpeed: average(list.map((s) => s.writeSpeed)),
      delaySeconds: average(list.map((s) => s.delaySeconds)), dirtyRecords: max('dirtyRecords'),
      cpuPercent: average(list.map((s) => s.cpuPercent)), phase: last.phase,
      tablesLoaded: max('tablesLoaded'), tablesTotal: max('tablesTotal'), rowsLoaded: max('rowsLoaded'),
    });
  }
  return out.sort((a, b) => a.taskId - b.taskId || a.ts - b.ts);
}

/** One metric as `{Time, Value}` points, samples without a value left out. */
export function seriesOf(name: MetricName, samples: MetricSample[]): { Time: number; Value: number }[] {
  const field = FIELD[name];
  const out: { Time: number; Value: number }[] = [];
  for (const s of samples) {
    const v = s[field];
    if (typeof v === 'number' && Number.isFinite(v)) out.push({ Time: s.ts, Value: Math.round(v * 100) / 100 });
  }
  return out;
}

/** At most `maxPoints` samples: coarser buckets when the range holds more. */
export function limitPoints(samples: MetricSample[], fromSec: number, toSec: number, maxPoints: number): MetricSample[] {
  if (samples.length <= maxPoints) return samples;
  const bucket = Math.max(60, Math.ceil((toSec - fromSec + 1) / maxPoints / 60) * 60);
  return downsample(samples, bucket);
}

export function average(values: (number | null)[]): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) if (v !== null && Number.isFinite(v)) { sum += v; n++; }
  return n === 0 ? null : sum / n;
}
