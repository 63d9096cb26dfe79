/**
 * Samples every running task at a fixed interval into the catalog (ListDIJobMetrics): records read
 * and written (cumulative for the instance: a failover's new pipeline starts its counters at 0,
 * so the last figures of the failed one are carried over, and a resumed instance continues from
 * its last stored sample), read and write speed since the previous sample, delay (the pipeline's
 * DelaySeconds, src/actions/instance-progress.ts), dirty records, full-load progress, and the
 * service process's CPU share. One catalog transaction per tick for all tasks.
 */
import os from 'node:os';
import type { CatalogStore } from '../../store/catalog-store.ts';
import type { MetricSample } from '../../store/monitoring-store.ts';
import type { PipelineMetrics } from '../../engine/pipeline.ts';
import { delaySeconds } from '../delay-seconds.ts';

interface TaskTally {
  instanceId: number;
  /** Totals of the instance's earlier pipelines. */
  baseRead: number;
  baseWritten: number;
  /** The current pipeline's counters at the last look. */
  seenRead: number;
  seenWritten: number;
  prev: { read: number; written: number; atMs: number } | null;
}

export interface LiveTotals { instanceId: number; recordsRead: number; recordsWritten: number }

export class MetricSampler {
  private readonly tallies = new Map<number, TaskTally>();
  private cpu = { usage: process.cpuUsage(), atMs: Date.now() };

  constructor(
    private readonly store: CatalogStore,
    private readonly metricsOf: (taskId: number) => PipelineMetrics | undefined,
    private readonly resolutionSec: number,
  ) {}

  /** A failed pipeline's last counters join its instance's totals. */
  pipelineEnded(taskId: number, instanceId: number, last: PipelineMetrics | undefined): void {
    const t = this.tallies.get(taskId);
    if (!t || t.instanceId !== instanceId || !last) return;
    t.baseRead += last.rowsRead;
    t.baseWritten += written(last);
    t.seenRead = 0;
    t.seenWritten = 0;
  }

  /** Live totals of a task's instance (Prometheus), when it has been sampled. */
  totals(taskId: number): LiveTotals | undefined {
    const t = this.tallies.get(taskId);
    if (!t) return undefined;
    const m = this.metricsOf(taskId);
    const read = t.baseRead + (m ? m.rowsRead : t.seenRead);
    const wrote = t.baseWritten + (m ? written(m) : t.seenWritten);
    return { instanceId: t.instanceId, recordsRead: read, recordsWritten: wrote };
  }

  /** Takes one sample of every running task and stores them; returns them. */
  async tick(now = Date.now()): Promise<MetricSample[]> {
    const cpuPercent = this.cpuShare(now);
    const samples: MetricSample[] = [];
    const running = await this.store.listTaskRuntimes({ desired: 'RUN' });
    for (const rt of running) {
      const m = this.metricsOf(rt.fileId);
      if (!m) continue;
      const t = await this.tally(rt.fileId, rt.instanceId);
      // Counters below what was seen: a new pipeline the runner did not report; carry the old ones.
      if (m.rowsRead < t.seenRead || written(m) < t.seenWritten) { t.baseRead += t.seenRead; t.baseWritten += t.seenWritten; }
      t.seenRead = m.rowsRead;
      t.seenWritten = written(m);
      const read = t.baseRead + t.seenRead;
      const wrote = t.baseWritten + t.seenWritten;
      const dt = t.prev ? (now - t.prev.atMs) / 1000 : 0;
      samples.push({
        taskId: rt.fileId, instanceId: rt.instanceId, ts: Math.floor(now / 1000), resolution: this.resolutionSec,
        recordsRead: read, recordsWritten: wrote,
        readSpeed: t.prev && dt > 0 ? Math.max(0, read - t.prev.read) / dt : null,
        writeSpeed: t.prev && dt > 0 ? Math.max(0, wrote - t.prev.written) / dt : null,
        delaySeconds: delaySeconds(m), dirtyRecords: m.dirtyRecords, cpuPercent,
        phase: m.phase, tablesLoaded: m.tablesLoaded, tablesTotal: m.tablesTotal, rowsLoaded: m.rowsLoaded,
      });
      t.prev = { read, written: wrote, atMs: now };
    }
    for (const id of this.tallies.keys()) if (!running.some((r) => r.fileId === id)) this.tallies.delete(id);
    await this.store.monitoring.appendMetricSamples(samples);
    return samples;
  }

  private async tally(taskId: number, instanceId: number): Promise<TaskTally> {
    const known = this.tallies.get(taskId);
    if (known && known.instanceId === instanceId) return known;
    const last = await this.store.monitoring.lastMetricSample(taskId, instanceId);
    const t: TaskTally = {
      instanceId, baseRead: last?.recordsRead ?? 0, baseWritten: last?.recordsWritten ?? 0, seenRead: 0, seenWritten: 0, prev: null,
    };
    this.tallies.set(taskId, t);
    return t;
  }

  /** The process's CPU time over the last interval as a share of all the machine's cores, in percent. */
  private cpuShare(now: number): number | null {
    const usage = process.cpuUsage();
    const wallUs = (now - this.cpu.atMs) * 1000;
    const usedUs = usage.user - this.cpu.usage.user + usage.system - this.cpu.usage.system;
    this.cpu = { usage, atMs: now };
    if (wallUs <= 0) return null;
    return Math.min(100, (usedUs / (wallUs * os.availableParallelism())) * 100);
  }
}

function written(m: PipelineMetrics): number {
  return m.rowsLoaded + m.rowsApplied;
}
