/**
 * Keeps the monitoring tables bounded (README "Monitoring and alerting"): raw samples older than
 * the downsampling age become one row per minute, samples older than the retention go, events
 * past their retention or beyond the per-task cap go, and instance logs keep their newest lines
 * of the newest instances. Runs in batches so one pass never holds the catalog for long.
 */
import type { MonitoringStore } from '../../store/monitoring-store.ts';
import type { MonitoringConfig } from './monitoring-config.ts';
import { downsample } from './metric-series.ts';

const BATCH = 20_000;
const MINUTE = 60;

export interface RetentionResult { downsampled: number; samplesPruned: number; eventsPruned: number; logLinesPruned: number }

export async function runRetention(store: MonitoringStore, cfg: MonitoringConfig, nowMs = Date.now()): Promise<RetentionResult> {
  const rawResolution = Math.round(cfg.sampleIntervalMs / 1000);
  const nowSec = Math.floor(nowMs / 1000);
  const cutoff = Math.floor((nowSec - cfg.downsampleAfterHours * 3600) / MINUTE) * MINUTE;
  let downsampled = 0;
  for (;;) {
    let batch = await store.oldMetricSamples(rawResolution, cutoff, BATCH);
    if (batch.length === 0) break;
    if (batch.length === BATCH) {
      // The batch may end inside a bucket: leave that bucket whole for the next round.
      const tail = batch[batch.length - 1];
      const bucket = Math.floor(tail.ts / MINUTE) * MINUTE;
      const whole = batch.filter((s) => s.taskId !== tail.taskId || s.ts < bucket);
      if (whole.length > 0) batch = whole;
    }
    await store.replaceMetricSamples(batch, downsample(batch, MINUTE));
    downsampled += batch.length;
  }
  return {
    downsampled,
    samplesPruned: await store.pruneMetricSamples(nowSec - cfg.metricRetentionDays * 86_400),
    eventsPruned: await store.pruneEvents(nowMs - cfg.eventRetentionDays * 86_400_000, cfg.eventsPerTask),
    logLinesPruned: await store.pruneLogs(cfg.logLinesPerInstance, cfg.logInstancesPerTask, nowMs - cfg.logRetentionDays * 86_400_000),
  };
}
