/**
 * Keeps one task's pipeline running: restarts it with backoff after transient failures, within
 * the StartParam failover limit, and marks the task FAILED when a failure is unrecoverable or the
 * limit is exceeded (docs/design.md section 2). A long-running service in the zero-cache style:
 * `done` settles when the runner has ended for good.
 */
import type { Logger } from '../logger.ts';
import type { CatalogStore, TaskProgress } from '../store/catalog-store.ts';
import type { StartParam } from '../domain/start-param.ts';
import type { Alert, PipelineMetrics } from '../engine/pipeline.ts';
import { FailoverBudget } from './failover-budget.ts';
import type { PipelineCallbacks, RunnablePipeline, TaskRules } from './runnable-pipeline.ts';
import type { RunnerMonitor } from './monitoring/runner-monitor.ts';

export interface TaskRunnerDeps {
  store: CatalogStore;
  logger: Logger;
  createPipeline(taskId: number, fence: number, resourcesCreated: boolean, callbacks: PipelineCallbacks, rules: TaskRules): Promise<RunnablePipeline>;
  isUnrecoverable(err: unknown): boolean;
  /** Failovers, engine events and instance starts for the task's event log and metrics (issue 10). */
  monitor?: RunnerMonitor;
}

export class TaskRunner {
  private pipeline: RunnablePipeline | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private instanceId = 0;
  readonly done: Promise<void>;

  constructor(private readonly taskId: number, private readonly startParam: StartParam, private readonly deps: TaskRunnerDeps) {
    this.done = this.loop().catch(async (err) => {
      this.deps.logger.error('task runner crashed', { taskId, error: err });
      await this.markFailed(`internal error: ${messageOf(err)}`).catch(() => undefined);
    });
  }

  current(): RunnablePipeline | undefined { return this.pipeline; }

  /** Graceful stop of the pipeline (bounded by timeoutMs), then waits for the runner to end. */
  async stop(timeoutMs: number): Promise<{ forced: boolean }> {
    this.stopping = true;
    this.wake?.();
    let forced = false;
    if (this.pipeline) forced = (await this.pipeline.stop(timeoutMs)).forced;
    await this.done;
    return { forced };
  }

  private async loop(): Promise<void> {
    const { store, logger } = this.deps;
    const budget = new FailoverBudget(this.startParam.failoverLimit.count, this.startParam.failoverLimit.interval);
    // A chosen start position applies until a pipeline has taken it (committed it as the checkpoint,
    // then reported streaming); restarts after that resume from the checkpoint. A restart before
    // that (source or target down) must not fall back to the old checkpoint.
    let startFrom = this.startParam.startPosition;
    while (!this.stopping) {
      const rt = await store.mutateTaskRuntime(this.taskId, (r) => ({ fence: r.fence + 1 }));
      this.instanceId = rt.instanceId;
      this.deps.monitor?.pipelineStarting(this.taskId, rt.instanceId);
      try {
        const rules: TaskRules = { errorLimit: this.startParam.errorLimit.record, ddlMarkMap: this.startParam.ddlMarkMap, startFrom };
        this.pipeline = await this.deps.createPipeline(this.taskId, rt.fence, rt.resourcesCreated, this.callbacks(() => { startFrom = null; }), rules);
        if (this.stopping) return;
        await this.pipeline.run();
        return;
      } catch (err) {
        const last = this.pipeline?.metrics();
        this.pipeline = undefined;
        if (this.stopping) return;
        const msg = messageOf(err);
        if (this.deps.isUnrecoverable(err)) {
          logger.error('task failed', { taskId: this.taskId, error: msg });
          await this.markFailed(msg);
          return;
        }
        if (!budget.tryRestart()) {
          const { count, interval } = this.startParam.failoverLimit;
          await this.markFailed(`failover limit exceeded: more than ${count} restarts within ${interval} minutes; last error: ${msg}`);
          return;
        }
        const delay = budget.backoffMs();
        logger.warn('pipeline failed, restarting', { taskId: this.taskId, error: msg, restart: budget.used, delayMs: delay });
        this.deps.monitor?.failover(this.taskId, this.instanceId, { error: msg, restart: budget.used, limit: this.startParam.failoverLimit.count, delayMs: delay, last });
        await store.mutateTaskRuntime(this.taskId, (r) => r.desired === 'RUN' && !this.stopping
          ? { status: 'WAIT', message: `restart ${budget.used} of at most ${this.startParam.failoverLimit.count} after error: ${msg}` }
          : {});
        await this.sleep(delay);
      }
    }
  }

  private callbacks(onTakenStart: () => void): PipelineCallbacks {
    return {
      onResourcesCreated: async () => {
        await this.deps.store.mutateTaskRuntime(this.taskId, () => ({ resourcesCreated: true }));
      },
      onAlert: (alert) => {
        this.deps.store.mutateTaskRuntime(this.taskId, (r) => ({ progress: withAlert(r.progress, alert) }))
          .catch((err) => this.deps.logger.error('could not record an alert', { taskId: this.taskId, error: err }));
      },
      onProgress: (m) => {
        this.deps.store.mutateTaskRuntime(this.taskId, (r) => ({ progress: withMetrics(r.progress, m) }))
          .catch((err) => this.deps.logger.error('could not record progress', { taskId: this.taskId, error: err }));
      },
      // Engine events go to the task's event log (monitoring) and to the service log.
      onEvent: (event) => {
        this.deps.monitor?.engineEvent(this.taskId, this.instanceId, event);
        const fields = { taskId: this.taskId, ...event };
        if (event.type === 'ddl' && event.action !== 'WARNING' && event.action !== 'CRITICAL') this.deps.logger.info('task event', fields);
        else this.deps.logger.warn('task event', fields);
      },
      onStreaming: () => {
        onTakenStart();
        this.deps.store.mutateTaskRuntime(this.taskId, (r) =>
          r.status === 'WAIT' && r.desired === 'RUN' && !this.stopping ? { status: 'RUN', message: null } : {},
        ).catch((err) => this.deps.logger.error('could not record RUN status', { taskId: this.taskId, error: err }));
      },
    };
  }

  private async markFailed(message: string): Promise<void> {
    await this.deps.store.mutateTaskRuntime(this.taskId, (r) =>
      this.stopping || r.desired !== 'RUN' ? {} : { status: 'FAILED', message, desired: 'STOP' });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }
}

/** Alerts kept per task in the catalog (the latest ones). */
const MAX_ALERTS = 50;

function withAlert(progress: TaskProgress | null, alert: Alert): TaskProgress {
  const p = progress ?? emptyProgress();
  return { ...p, alertCount: p.alertCount + 1, alerts: [...p.alerts, alert].slice(-MAX_ALERTS) };
}

function withMetrics(progress: TaskProgress | null, m: PipelineMetrics): TaskProgress {
  return { ...(progress ?? emptyProgress()), phase: m.phase, dirtyRecords: m.dirtyRecords, rowsLoaded: m.rowsLoaded, tablesLoaded: m.tablesLoaded, tables: m.tables };
}

function emptyProgress(): TaskProgress {
  return { phase: null, dirtyRecords: 0, rowsLoaded: 0, tablesLoaded: 0, alertCount: 0, alerts: [] };
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
