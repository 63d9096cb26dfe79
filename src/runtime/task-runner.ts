/**
 * Keeps one task's pipeline running: restarts it with backoff after transient failures, within
 * the StartParam failover limit, and marks the task FAILED when a failure is unrecoverable or the
 * limit is exceeded (docs/design.md section 2). A long-running service in the zero-cache style:
 * `done` settles when the runner has ended for good.
 *
 * Ownership (README "Running several nodes"): every fence comes from the coordinator (the first
 * from the claim, each restart's from `refence`, which fails once another node owns the task), and
 * every write to the task's runtime row applies only while the row's fence is still this runner's,
 * so a fenced-out runner (a zombie) never writes status, never marks the shared row FAILED and
 * never restarts itself: it steps down.
 */
import type { Logger } from '../logger.ts';
import type { CatalogStore, TaskProgress, TaskRuntimeRecord } from '../store/catalog-store.ts';
import { FencedError } from '../engine/pipeline.ts';
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
  ownership: RunnerOwnership;
}

/** Where the runner's fences come from (src/cluster/cluster-coordinator.ts). */
export interface RunnerOwnership {
  /** The first fence (a claim already made, or the next one); null: not the owner. */
  first(): Promise<number | null>;
  /** A restart's fence while still the owner; null: another node owns the task now. */
  next(fence: number): Promise<number | null>;
  /** Still the owner at this fence (local check, no round trip). */
  holds(fence: number): boolean;
  /** In a cluster a FencedError means "lost ownership": step down instead of failing the task. */
  clustered: boolean;
}

export class TaskRunner {
  private pipeline: RunnablePipeline | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private instanceId = 0;
  /** The fence of the current pipeline (0 before the first). */
  fence = 0;
  /** Lost ownership: stop without writing anything to the catalog. */
  private abandoned = false;
  readonly done: Promise<void>;

  constructor(private readonly taskId: number, private readonly startParam: StartParam, private readonly deps: TaskRunnerDeps) {
    this.done = this.loop().catch(async (err) => {
      this.deps.logger.error('task runner crashed', { taskId, error: err });
      if (!this.abandoned) await this.markFailed(`internal error: ${messageOf(err)}`).catch(() => undefined);
    });
  }

  current(): RunnablePipeline | undefined { return this.pipeline; }

  /** Asked to stop or abandon (whoever asked releases the task), as opposed to ending on its own. */
  get stopRequested(): boolean { return this.stopping; }

  /** Graceful stop of the pipeline (bounded by timeoutMs), then waits for the runner to end. */
  async stop(timeoutMs: number): Promise<{ forced: boolean }> {
    this.stopping = true;
    this.wake?.();
    let forced = false;
    if (this.pipeline) forced = (await this.pipeline.stop(timeoutMs)).forced;
    await this.done;
    return { forced };
  }

  /**
   * Lost ownership (lease lost, or another node took the task): stop within `timeoutMs` (forced
   * past it) and write nothing: the new owner's fence already guards the row and the target.
   */
  async abandon(timeoutMs: number): Promise<void> {
    this.abandoned = true;
    await this.stop(timeoutMs);
  }

  private async loop(): Promise<void> {
    const { store, logger } = this.deps;
    const budget = new FailoverBudget(this.startParam.failoverLimit.count, this.startParam.failoverLimit.interval);
    // A chosen start position applies until a pipeline has taken it (committed it as the checkpoint,
    // then reported streaming); restarts after that resume from the checkpoint. A restart before
    // that (source or target down) must not fall back to the old checkpoint.
    let startFrom = this.startParam.startPosition;
    const own = this.deps.ownership;
    while (!this.stopping) {
      const fence = this.fence === 0 ? await own.first() : await own.next(this.fence);
      if (fence === null || this.stopping) {
        if (fence === null) this.stepDown('another node owns the task now');
        return;
      }
      this.fence = fence;
      // The row's fence is the ownership token every later write checks (fenced()).
      const rt = await store.mutateTaskRuntime(this.taskId, (r) => r.fence < fence ? { fence } : {});
      if (rt.fence !== fence) { this.stepDown(`the task's fence moved on to ${rt.fence}`); return; }
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
        if (own.clustered && (err instanceof FencedError || !own.holds(this.fence))) {
          this.stepDown(msg);
          return;
        }
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
        await this.write((r) => r.desired === 'RUN' && !this.stopping
          ? { status: 'WAIT', message: `restart ${budget.used} of at most ${this.startParam.failoverLimit.count} after error: ${msg}` }
          : {});
        await this.sleep(delay);
      }
    }
  }

  private callbacks(onTakenStart: () => void): PipelineCallbacks {
    return {
      onResourcesCreated: async () => {
        // Bounded retries: a brief catalog outage must not fail a pipeline that is streaming fine.
        await this.retried(() => this.write(() => ({ resourcesCreated: true })));
      },
      onAlert: (alert) => {
        this.write((r) => ({ progress: withAlert(r.progress, alert) }))
          .catch((err) => this.deps.logger.error('could not record an alert', { taskId: this.taskId, error: err }));
      },
      onProgress: (m) => {
        // Dropped when the catalog is unreachable: the next report carries the newer numbers.
        this.write((r) => ({ progress: withMetrics(r.progress, m) }))
          .catch((err) => this.deps.logger.warn('could not record progress', { taskId: this.taskId, error: messageOf(err) }));
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
        this.retried(() => this.write((r) =>
          r.status === 'WAIT' && r.desired === 'RUN' && !this.stopping ? { status: 'RUN', message: null } : {}),
        ).catch((err) => this.deps.logger.error('could not record RUN status', { taskId: this.taskId, error: err }));
      },
    };
  }

  private async markFailed(message: string): Promise<void> {
    await this.write((r) => this.stopping || r.desired !== 'RUN' ? {} : { status: 'FAILED', message, desired: 'STOP' });
  }

  /**
   * A write to the task's runtime row, applied only while this runner still owns the task: the
   * local lease check first, then the row's fence inside the catalog's transaction (a node that
   * claimed the task wrote its newer fence there before starting).
   */
  private async write(patch: (r: TaskRuntimeRecord) => Partial<TaskRuntimeRecord>): Promise<void> {
    if (this.abandoned || !this.deps.ownership.holds(this.fence)) return;
    // Before the first fence (one process only: its fence write failed) the row is this runner's.
    if (this.fence === 0 && this.deps.ownership.clustered) return;
    await this.deps.store.mutateTaskRuntime(this.taskId, (r) => r.fence === this.fence || this.fence === 0 ? patch(r) : {});
  }

  /** Retries a catalog write for a while (catalog briefly unreachable), while still the owner. */
  private async retried(work: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (attempt >= CATALOG_RETRIES || this.abandoned || !this.deps.ownership.holds(this.fence)) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private stepDown(reason: string): void {
    this.abandoned = true;
    this.deps.logger.warn('lost ownership of the task: stepping down without writing its status', { taskId: this.taskId, fence: this.fence, reason });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }
}

/** Catalog writes a pipeline depends on are tried this many more times, 500 ms apart. */
const CATALOG_RETRIES = 20;

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
