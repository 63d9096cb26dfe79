/**
 * The lifecycle of real-time task instances (docs/design.md sections 1 and 2): Start, Stop, Terminate,
 * Delete, and resuming after a restart. Every operation on one task is serialized; the catalog
 * row is written before and after the engine acts, so a fault in between leaves a state that
 * `resumeAll` can reconcile.
 */
import type { Logger } from '../logger.ts';
import type { CatalogStore, TaskRuntimeRecord } from '../store/catalog-store.ts';
import { parseStartParam, type StartParam } from '../domain/start-param.ts';
import { ACTIVE_STATUSES } from '../domain/task-status.ts';
import type { PipelineMetrics } from '../engine/pipeline.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { PipelineFactory } from './pipeline-factory.ts';
import { TaskRunner, messageOf } from './task-runner.ts';
import type { RunnerMonitor } from './monitoring/runner-monitor.ts';

export interface Outcome { ok: boolean; message: string | null }

export class TaskLifecycle {
  private readonly runners = new Map<number, TaskRunner>();
  private readonly mutex = new KeyedMutex<number>();

  constructor(
    private readonly store: CatalogStore,
    private readonly factory: PipelineFactory,
    private readonly logger: Logger,
    private readonly stopTimeoutMs: number,
    /** Monitoring's view of each runner (failovers, engine events); absent when monitoring is off. */
    private readonly monitor?: RunnerMonitor,
  ) {}

  start(taskId: number, startParam: StartParam, startParamText: string | null): Promise<Outcome> {
    return this.mutex.run(taskId, async () => {
      const file = await this.store.getTaskFile(taskId);
      if (!file?.deployedContent) {
        return { ok: false, message: `fileId:[${taskId}] is not deployed; call DeployDISyncTask before starting it.` };
      }
      const rt = await this.store.getTaskRuntime(taskId);
      if ((rt.status === 'RUN' || rt.status === 'WAIT') && this.runners.has(taskId)) return { ok: true, message: null };
      // Every Start is a new instance; restarts after a failover or a service restart continue it.
      const instanceId = await this.store.nextInstanceId();
      await this.store.mutateTaskRuntime(taskId, () => ({ status: 'WAIT', message: null, desired: 'RUN', startParam: startParamText, instanceId }));
      this.launch(taskId, startParam);
      return { ok: true, message: null };
    });
  }

  stop(taskId: number): Promise<Outcome> {
    return this.mutex.run(taskId, async () => {
      const rt = await this.store.getTaskRuntime(taskId);
      if (rt.status === 'NORUN') return { ok: false, message: `fileId:[${taskId}] is not running: it has never been started.` };
      await this.store.mutateTaskRuntime(taskId, (r) => ({
        status: r.status === 'PAUSE' || r.status === 'FAILED' ? r.status : 'KILLING', desired: 'STOP',
      }));
      const forced = await this.stopRunner(taskId);
      await this.store.mutateTaskRuntime(taskId, () => ({
        status: 'PAUSE',
        message: forced ? `stop exceeded ${this.stopTimeoutMs} ms and was forced; the checkpoint keeps the data consistent` : null,
      }));
      return { ok: true, message: null };
    });
  }

  terminate(taskId: number): Promise<Outcome> {
    return this.mutex.run(taskId, async () => {
      const released = await this.haltAndRelease(taskId);
      if (!released.ok) return released;
      await this.store.setDeployed(taskId, null, null);
      await this.store.mutateTaskRuntime(taskId, () => ({ status: 'NORUN', message: null, desired: 'STOP', resourcesCreated: false, startParam: null, progress: null }));
      return { ok: true, message: null };
    });
  }

  /** DeleteDISyncTask: refused while the task runs; releases source resources, then drops the file. */
  delete(taskId: number): Promise<Outcome> {
    return this.mutex.run(taskId, async () => {
      const rt = await this.store.getTaskRuntime(taskId);
      if ((ACTIVE_STATUSES as string[]).includes(rt.status)) {
        return { ok: false, message: `fileId:[${taskId}] is running; stop or terminate it before deleting it.` };
      }
      const released = await this.haltAndRelease(taskId);
      if (!released.ok) return released;
      await this.store.deleteTaskFile(taskId);
      return { ok: true, message: null };
    });
  }

  /** After a restart: tasks that were meant to run start again from their checkpoints. */
  async resumeAll(): Promise<void> {
    for (const rt of await this.store.listTaskRuntimes({})) {
      if (rt.desired === 'RUN') {
        await this.mutex.run(rt.fileId, async () => {
          await this.store.mutateTaskRuntime(rt.fileId, () => ({ status: 'WAIT', message: 'resuming after a service restart' }));
          // A chosen start position was used by the first run; resuming continues from the checkpoint.
          this.launch(rt.fileId, { ...parseStartParam(rt.startParam ?? undefined), startPosition: null });
        });
      } else if ((ACTIVE_STATUSES as string[]).includes(rt.status)) {
        await this.store.mutateTaskRuntime(rt.fileId, () => ({ status: 'PAUSE' }));
      }
    }
  }

  /** Service shutdown: stop every pipeline gracefully but keep `desired`, so a restart resumes them. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.runners.keys()].map((id) => this.mutex.run(id, () => this.stopRunner(id))));
  }

  metrics(taskId: number): PipelineMetrics | undefined {
    return this.runners.get(taskId)?.current()?.metrics();
  }

  runtime(taskId: number): Promise<TaskRuntimeRecord> {
    return this.store.getTaskRuntime(taskId);
  }

  private launch(taskId: number, startParam: StartParam): void {
    const runner = new TaskRunner(taskId, startParam, {
      store: this.store,
      logger: this.logger,
      createPipeline: (id, fence, created, callbacks, rules) => this.factory.create(id, fence, created, callbacks, rules),
      isUnrecoverable: (err) => this.factory.isUnrecoverable(err),
      monitor: this.monitor,
    });
    this.runners.set(taskId, runner);
    void runner.done.then(() => { if (this.runners.get(taskId) === runner) this.runners.delete(taskId); });
  }

  private async stopRunner(taskId: number): Promise<boolean> {
    const runner = this.runners.get(taskId);
    if (!runner) return false;
    const { forced } = await runner.stop(this.stopTimeoutMs);
    this.runners.delete(taskId);
    return forced;
  }

  private async haltAndRelease(taskId: number): Promise<Outcome> {
    await this.stopRunner(taskId);
    const rt = await this.store.getTaskRuntime(taskId);
    // A task that ever ran (fence > 0) claimed a checkpoint row in the target, even when it failed
    // before creating source resources: discard it too (docs/target-checkpoint.md).
    if (!rt.resourcesCreated && rt.fence === 0) return { ok: true, message: null };
    try {
      await this.factory.release(taskId, { source: rt.resourcesCreated });
    } catch (err) {
      await this.store.mutateTaskRuntime(taskId, (r) => ({ status: r.status === 'NORUN' ? 'NORUN' : 'PAUSE', desired: 'STOP' }));
      this.logger.error('could not release task resources', { taskId, error: messageOf(err) });
      return { ok: false, message: `could not release the task's replication slot and checkpoint: ${messageOf(err)}; the task is stopped, retry when the databases are reachable.` };
    }
    await this.store.mutateTaskRuntime(taskId, () => ({ resourcesCreated: false }));
    return { ok: true, message: null };
  }
}
