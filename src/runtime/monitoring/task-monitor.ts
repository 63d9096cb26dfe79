/**
 * Monitoring and alerting of the running service, assembled (README "Monitoring and alerting"):
 * the runner's view (RunnerMonitor: failovers, engine events), status changes, the instance logs,
 * the metric sampler, the alarm engine with its notifier, retention, and what `/metrics` and
 * `/readyz` read. Timers run off the data path; `close()` stops them and flushes what is pending.
 */
import type { Logger } from '../../logger.ts';
import type { CatalogStore, TaskRuntimeRecord } from '../../store/catalog-store.ts';
import type { EngineEvent, PipelineMetrics } from '../../engine/pipeline.ts';
import { REALTIME_FILE_TYPE } from '../../domain/task-status.ts';
import { delaySeconds } from '../delay-seconds.ts';
import { Notifier } from '../../notify/notifier.ts';
import type { FailoverInfo, RunnerMonitor } from './runner-monitor.ts';
import type { MonitoringConfig } from './monitoring-config.ts';
import { InstanceLogWriter, teeLogger } from './instance-log.ts';
import { EventRecorder } from './event-recorder.ts';
import { MetricSampler } from './metric-sampler.ts';
import { AlarmEngine } from './alarm-engine.ts';
import { runRetention } from './retention.ts';
import type { MetricsSource, TaskView } from './prometheus.ts';

export class TaskMonitor implements RunnerMonitor {
  readonly log: InstanceLogWriter;
  readonly recorder: EventRecorder;
  readonly sampler: MetricSampler;
  readonly alarms: AlarmEngine;
  private readonly notifier: Notifier;
  private readonly statusSinceMs = new Map<number, number>();
  private readonly failovers = new Map<number, number>();
  /** The instance whose start each task's log has announced. */
  private readonly announced = new Map<number, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private metricsOf: (taskId: number) => PipelineMetrics | undefined = () => undefined;
  private resumed = false;
  private closed = false;

  constructor(private readonly store: CatalogStore, readonly config: MonitoringConfig, private readonly logger: Logger) {
    this.log = new InstanceLogWriter(store.monitoring, (err) => logger.error('could not write task log lines', { error: err }));
    this.recorder = new EventRecorder(store.monitoring, this.log, logger, config.dirtyEventThreshold);
    this.sampler = new MetricSampler(store, (id) => this.metricsOf(id), Math.round(config.sampleIntervalMs / 1000));
    this.notifier = new Notifier(config);
    this.alarms = new AlarmEngine({
      store, recorder: this.recorder, notifier: this.notifier, logger,
      statusSince: (id) => this.statusSince(id), rawResolutionSec: Math.round(config.sampleIntervalMs / 1000),
    });
    this.recorder.onEvent((e) => { void this.alarms.onEvent(e).catch(() => undefined); });
  }

  /** Where live pipeline figures come from (the task lifecycle, created after the monitor). */
  attachMetrics(metricsOf: (taskId: number) => PipelineMetrics | undefined): void {
    this.metricsOf = metricsOf;
  }

  /** A logger whose lines with a taskId also go to that task's instance log. */
  teeLogger(logger: Logger): Logger {
    return teeLogger(logger, this.log);
  }

  // ---- RunnerMonitor

  pipelineStarting(taskId: number, instanceId: number): void {
    this.log.setInstance(taskId, instanceId);
    if (this.announced.get(taskId) !== instanceId) {
      this.announced.set(taskId, instanceId);
      this.log.write(taskId, 'info', `instance ${instanceId} of task ${taskId} starting`);
    }
  }

  failover(taskId: number, instanceId: number, info: FailoverInfo): void {
    this.sampler.pipelineEnded(taskId, instanceId, info.last);
    this.failovers.set(taskId, (this.failovers.get(taskId) ?? 0) + 1);
    const detail = `restart ${info.restart} of at most ${info.limit} (StartParam.failoverLimit), in ${info.delayMs} ms`;
    const seq = this.log.write(taskId, 'warn', `failover: ${detail}`, { error: info.error });
    this.recorder.failover(taskId, instanceId, info.error, detail, seq);
  }

  engineEvent(taskId: number, instanceId: number, event: EngineEvent): void {
    this.recorder.engineEvent(taskId, instanceId, event);
  }

  // ---- status changes (observe-task-status.ts)

  statusChanged(before: TaskRuntimeRecord, after: TaskRuntimeRecord): void {
    this.statusSinceMs.set(after.fileId, after.updatedAt);
    if (after.instanceId > 0) this.log.setInstance(after.fileId, after.instanceId);
    this.recorder.statusChange(after.fileId, after.instanceId, before.status, after.status, after.message);
  }

  /** When the task entered its current status: seen by this process, else its last Status event. */
  async statusSince(taskId: number): Promise<number> {
    const known = this.statusSinceMs.get(taskId);
    if (known !== undefined) return known;
    const last = (await this.store.monitoring.listEvents(taskId, { kinds: ['Status'], fromMs: 0, toMs: Date.now() }, 0, 1)).items[0];
    const since = last?.createdAt ?? Date.now();
    this.statusSinceMs.set(taskId, since);
    return since;
  }

  // ---- lifecycle of the monitor

  /** Starts sampling, alarm evaluation and retention (not when monitoring is off). */
  async start(): Promise<void> {
    const unfinished = await this.store.monitoring.failUnfinishedAlarms('delivery interrupted: the service stopped before it finished');
    if (unfinished > 0) this.logger.warn('alarm deliveries interrupted by the last shutdown were marked Fail', { count: unfinished });
    if (!this.config.enabled) return;
    this.every(this.config.sampleIntervalMs, () => this.sampler.tick(), 'metric sampling');
    this.every(this.config.alarmEvalIntervalMs, () => this.alarms.tick(), 'alarm evaluation');
    this.every(this.config.retentionRunIntervalMs, () => runRetention(this.store.monitoring, this.config), 'monitoring retention');
  }

  markResumed(): void { this.resumed = true; }
  get tasksResumed(): boolean { return this.resumed; }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.log.flush();
    await this.recorder.drain();
    await this.alarms.drain();
    await this.notifier.close();
  }

  // ---- what /metrics reads

  metricsSource(): MetricsSource {
    return {
      tasks: () => this.taskViews(),
      firing: () => this.alarms.firing().map((f) => ({ ...f, taskId: this.ruleTasks.get(f.ruleId) ?? 0 })),
      notifications: () => [...this.alarms.sent].map(([k, count]) => { const [channel, outcome] = k.split('\u0000'); return { channel, outcome, count }; }),
    };
  }

  private readonly ruleTasks = new Map<number, number>();

  private async taskViews(): Promise<TaskView[]> {
    const out: TaskView[] = [];
    const workspaces = new Map<number, string>();
    for (const r of await this.store.monitoring.listEnabledAlarmRules()) this.ruleTasks.set(r.id, r.taskId);
    for (const rt of await this.store.listTaskRuntimes({})) {
      const file = await this.store.getTaskFile(rt.fileId);
      if (!file || file.fileType !== REALTIME_FILE_TYPE) continue;
      if (!workspaces.has(file.projectId)) workspaces.set(file.projectId, (await this.store.getProject(file.projectId))?.identifier ?? String(file.projectId));
      const live = this.metricsOf(rt.fileId);
      out.push({
        projectId: file.projectId, workspace: workspaces.get(file.projectId)!, taskId: rt.fileId, name: file.name, status: rt.status,
        live, totals: this.sampler.totals(rt.fileId), delaySeconds: delaySeconds(live),
        dirtyRecords: live?.dirtyRecords ?? rt.progress?.dirtyRecords ?? 0, failovers: this.failovers.get(rt.fileId) ?? 0,
      });
    }
    return out;
  }

  private every(ms: number, fn: () => Promise<unknown>, what: string): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.closed) return; // a slow run is never stacked on itself
      busy = true;
      fn().catch((err) => this.logger.error(`${what} failed`, { error: err })).finally(() => { busy = false; });
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
