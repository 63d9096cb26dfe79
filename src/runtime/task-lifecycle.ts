/**
 * The lifecycle of real-time task instances (docs/design.md sections 1 and 2): Start, Stop, Terminate,
 * Delete, and resuming after a restart. Every operation on one task is serialized; the catalog
 * row is written before and after the engine acts, so a fault in between leaves a state that
 * `resumeAll` can reconcile.
 *
 * In a cluster (README "Running several nodes") any node answers: Start and Stop write the desired
 * state and wake the nodes; the owner acts (src/cluster/reconciler.ts calls `adopt`, `stopOwned`,
 * `handOff`, `abandon`), and a Stop through another node waits for the owner, bounded like a local
 * stop, then takes the task away by fence (the forced path).
 */
import type { Logger } from '../logger.ts';
import type { CatalogStore, TaskRuntimeRecord } from '../store/catalog-store.ts';
import { parseStartParam, type StartParam } from '../domain/start-param.ts';
import { ACTIVE_STATUSES } from '../domain/task-status.ts';
import type { PipelineMetrics } from '../engine/pipeline.ts';
import type { ClusterCoordinator } from '../cluster/cluster-coordinator.ts';
import { LocalCoordinator } from '../cluster/local-coordinator.ts';
import { LEASE_LOSS_STOP_MS } from '../cluster/cluster-coordinator.ts';
import type { LocalTasks } from '../cluster/reconciler.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { PipelineFactory } from './pipeline-factory.ts';
import { TaskRunner, messageOf, type RunnerOwnership } from './task-runner.ts';
import type { RunnerMonitor } from './monitoring/runner-monitor.ts';
import { waitForOwner } from './remote-stop.ts';

export interface Outcome { ok: boolean; message: string | null }

export class TaskLifecycle implements LocalTasks {
  private readonly runners = new Map<number, TaskRunner>();
  private readonly mutex = new KeyedMutex<number>();
  private readonly cluster: ClusterCoordinator;
  /** Called after a Start wrote desired RUN (the reconciler looks at once). */
  onWanted: () => void = () => undefined;

  constructor(
    private readonly store: CatalogStore,
    private readonly factory: PipelineFactory,
    private readonly logger: Logger,
    private readonly stopTimeoutMs: number,
    /** Monitoring's view of each runner (failovers, engine events); absent when monitoring is off. */
    private readonly monitor?: RunnerMonitor,
    cluster?: ClusterCoordinator,
  ) {
    this.cluster = cluster ?? new LocalCoordinator(store, 'local');
  }

  start(taskId: number, startParam: StartParam, startParamText: string | null): Promise<Outcome> {
    return this.mutex.run(taskId, async () => {
      const file = await this.store.getTaskFile(taskId);
      if (!file?.deployedContent) {
        return { ok: false, message: `fileId:[${taskId}] is not deployed; call DeployDISyncTask before starting it.` };
      }
      const rt = await this.store.getTaskRuntime(taskId);
      const running = rt.status === 'RUN' || rt.status === 'WAIT';
      if (running && (this.cluster.clustered ? rt.desired === 'RUN' : this.runners.has(taskId))) return { ok: true, message: null };
      // Every Start is a new instance; restarts after a failover or a service restart continue it.
      const instanceId = await this.store.nextInstanceId();
      await this.store.mutateTaskRuntime(taskId, () => ({ status: 'WAIT', message: null, desired: 'RUN', startParam: startParamText, instanceId }));
      if (this.cluster.clustered) {
        // The node the reconcilers pick claims it (woken now, or at their next tick).
        await this.cluster.wake(taskId);
        this.onWanted();
      } else {
        this.launch(taskId, startParam, this.localOwnership(taskId));
      }
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
      const how = await this.halt(taskId);
      await this.store.mutateTaskRuntime(taskId, () => ({
        status: 'PAUSE',
        message: how === 'timeout' ? `stop exceeded ${this.stopTimeoutMs} ms and was forced; the checkpoint keeps the data consistent`
          : how === 'dead' ? 'the node running the task stopped answering, so the stop was forced; the checkpoint keeps the data consistent' : null,
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

  /**
   * After a restart: tasks that were meant to run start again from their checkpoints. In a
   * cluster nothing happens here: the reconciler claims unowned tasks, one node each.
   */
  async resumeAll(): Promise<void> {
    if (this.cluster.clustered) return;
    for (const rt of await this.store.listTaskRuntimes({})) {
      if (rt.desired === 'RUN') {
        await this.mutex.run(rt.fileId, async () => {
          await this.store.mutateTaskRuntime(rt.fileId, () => ({ status: 'WAIT', message: 'resuming after a service restart' }));
          // A chosen start position was used by the first run; resuming continues from the checkpoint.
          this.launch(rt.fileId, { ...parseStartParam(rt.startParam ?? undefined), startPosition: null }, this.localOwnership(rt.fileId));
        });
      } else if ((ACTIVE_STATUSES as string[]).includes(rt.status)) {
        await this.store.mutateTaskRuntime(rt.fileId, () => ({ status: 'PAUSE' }));
      }
    }
  }

  /**
   * Service shutdown: stop every pipeline gracefully but keep `desired`, so a restart (or, in a
   * cluster, another node) resumes them.
   */
  async shutdown(): Promise<void> {
    await Promise.all([...this.runners.keys()].map((id) => this.mutex.run(id, async () => {
      const fence = this.runners.get(id)?.fence ?? 0;
      await this.stopRunner(id);
      if (this.cluster.clustered && fence > 0) await this.cluster.release(id, fence).catch(() => undefined);
    })));
  }

  metrics(taskId: number): PipelineMetrics | undefined {
    return this.runners.get(taskId)?.current()?.metrics();
  }

  runtime(taskId: number): Promise<TaskRuntimeRecord> {
    return this.store.getTaskRuntime(taskId);
  }

  // ---- LocalTasks: what the reconciler asks of this node (cluster mode)

  running(): Map<number, number> {
    return new Map([...this.runners].map(([id, r]) => [id, r.fence]));
  }

  /** Runs a task this node has just claimed at `fence`. */
  adopt(taskId: number, fence: number): Promise<void> {
    return this.mutex.run(taskId, async () => {
      if (this.runners.has(taskId)) return;
      let firstRun = false;
      let previousOwner = false;
      const rt = await this.store.mutateTaskRuntime(taskId, (r) => {
        if (r.desired !== 'RUN' || r.fence >= fence) return {};
        firstRun = r.status === 'WAIT' && r.message === null;
        previousOwner = r.status === 'RUN';
        return { fence, status: 'WAIT', message: firstRun ? null : previousOwner ? `taken over by node ${this.cluster.nodeName}` : r.message };
      });
      if (rt.desired !== 'RUN' || rt.fence !== fence) {
        await this.cluster.release(taskId, fence);
        return;
      }
      if (previousOwner) this.logger.warn('took over a task', { taskId, node: this.cluster.nodeName, fence });
      // A chosen start position applies to an instance's first run only; a takeover resumes from the checkpoint.
      const startParam = parseStartParam(rt.startParam ?? undefined);
      let claimed: number | null = fence;
      this.launch(taskId, firstRun ? startParam : { ...startParam, startPosition: null }, {
        first: async () => { const f = claimed; claimed = null; return f; },
        next: (f) => this.cluster.refence(taskId, f),
        holds: (f) => this.cluster.holds(taskId, f),
        clustered: true,
      });
    });
  }

  /** Desired STOP reached the owner: graceful stop, PAUSE (while still the owner), release. */
  stopOwned(taskId: number): Promise<void> {
    return this.mutex.run(taskId, async () => {
      const fence = this.runners.get(taskId)?.fence ?? 0;
      const forced = await this.stopRunner(taskId);
      await this.store.mutateTaskRuntime(taskId, (r) => r.fence === fence && r.desired === 'STOP' && r.status !== 'FAILED' ? {
        status: 'PAUSE',
        message: forced ? `stop exceeded ${this.stopTimeoutMs} ms and was forced; the checkpoint keeps the data consistent` : null,
      } : {});
      if (fence > 0) await this.cluster.release(taskId, fence);
    });
  }

  /** Rebalance or drain: graceful stop (the checkpoint commits), then another node claims it. */
  handOff(taskId: number): Promise<void> {
    return this.mutex.run(taskId, async () => {
      const fence = this.runners.get(taskId)?.fence ?? 0;
      await this.stopRunner(taskId);
      await this.store.mutateTaskRuntime(taskId, (r) => r.fence === fence && r.desired === 'RUN'
        ? { status: 'WAIT', message: `moving from node ${this.cluster.nodeName} to another node` } : {});
      if (fence > 0) await this.cluster.release(taskId, fence);
      this.logger.info('handed a task off', { taskId, node: this.cluster.nodeName });
    });
  }

  /** Lost ownership: stop fast and write nothing (the new owner's fence guards the row). */
  async abandon(taskId: number): Promise<void> {
    const runner = this.runners.get(taskId);
    if (!runner) return;
    this.runners.delete(taskId);
    await runner.abandon(LEASE_LOSS_STOP_MS);
  }

  // ----

  private localOwnership(taskId: number): RunnerOwnership {
    return {
      first: () => this.cluster.claim(taskId, 0),
      next: (f) => this.cluster.refence(taskId, f),
      holds: () => true,
      clustered: false,
    };
  }

  private launch(taskId: number, startParam: StartParam, ownership: RunnerOwnership): void {
    const runner = new TaskRunner(taskId, startParam, {
      store: this.store,
      logger: this.logger,
      createPipeline: (id, fence, created, callbacks, rules) => this.factory.create(id, fence, created, callbacks, rules),
      isUnrecoverable: (err) => this.factory.isUnrecoverable(err),
      monitor: this.monitor,
      ownership,
    });
    this.runners.set(taskId, runner);
    void runner.done.then(() => {
      if (this.runners.get(taskId) === runner) this.runners.delete(taskId);
      // A runner that ended on its own (FAILED, or its task stopped) gives the task up, so a later
      // Start can be claimed by any node; one that was asked to stop is released by whoever asked
      // (stopOwned, handOff, halt) or has lost it (abandon).
      if (this.cluster.clustered && runner.fence > 0 && !runner.stopRequested) {
        this.cluster.release(taskId, runner.fence).catch((err) => this.logger.warn('could not release a task', { taskId, error: messageOf(err) }));
      }
    });
  }

  private async stopRunner(taskId: number): Promise<boolean> {
    const runner = this.runners.get(taskId);
    if (!runner) return false;
    const { forced } = await runner.stop(this.stopTimeoutMs);
    this.runners.delete(taskId);
    return forced;
  }

  /**
   * Stops the task wherever it runs (desired STOP must be written already): gracefully, or forced
   * past the bound ('timeout') or because its node is gone ('dead').
   * One process: its own runner. A cluster: this node's runner, or the owner's, which is woken
   * and waited for within the stop bound; an owner that does not answer in time (or is dead) loses
   * the task by fence, at the catalog and at the target (its later commits are refused).
   */
  private async halt(taskId: number): Promise<'graceful' | 'timeout' | 'dead'> {
    const local = this.runners.get(taskId);
    if (!this.cluster.clustered || local) {
      const fence = local?.fence ?? 0;
      const forced = await this.stopRunner(taskId);
      if (this.cluster.clustered && fence > 0) await this.cluster.release(taskId, fence);
      return forced ? 'timeout' : 'graceful';
    }
    const { answer, node } = await waitForOwner(this.cluster, taskId, this.stopTimeoutMs);
    if (answer === 'stopped') return 'graceful';
    const fence = await this.cluster.seize(taskId);
    await this.store.mutateTaskRuntime(taskId, (r) => r.fence < fence ? { fence } : {});
    // A target session of the node that did not answer holding the checkpoint row is ended, not waited for.
    await this.factory.fenceTarget(taskId, fence, node).catch((err) => this.logger.error('could not raise the target fence of a task taken from an unresponsive node', { taskId, node, error: messageOf(err) }));
    this.logger.warn('stop forced: the owning node did not answer', { taskId, node, ownerAnswer: answer, fence });
    return answer;
  }

  private async haltAndRelease(taskId: number): Promise<Outcome> {
    let tombstone: number | undefined;
    if (this.cluster.clustered) {
      const rt = await this.store.getTaskRuntime(taskId);
      if (rt.desired === 'RUN' || (ACTIVE_STATUSES as string[]).includes(rt.status) || this.runners.has(taskId)) {
        await this.store.mutateTaskRuntime(taskId, () => ({ desired: 'STOP' }));
        await this.halt(taskId);
      }
      // The checkpoint row stays with a fence above every earlier owner's: a zombie cannot bring it back.
      if (rt.fence > 0 || rt.resourcesCreated) {
        tombstone = await this.cluster.seize(taskId);
        await this.store.mutateTaskRuntime(taskId, (r) => r.fence < tombstone! ? { fence: tombstone! } : {});
      }
    } else {
      await this.stopRunner(taskId);
    }
    const rt = await this.store.getTaskRuntime(taskId);
    // A task that ever ran (fence > 0) claimed a checkpoint row in the target, even when it failed
    // before creating source resources: discard it too (docs/target-checkpoint.md).
    if (!rt.resourcesCreated && rt.fence === 0) return { ok: true, message: null };
    try {
      await this.factory.release(taskId, { source: rt.resourcesCreated, tombstone });
    } catch (err) {
      await this.store.mutateTaskRuntime(taskId, (r) => ({ status: r.status === 'NORUN' ? 'NORUN' : 'PAUSE', desired: 'STOP' }));
      this.logger.error('could not release task resources', { taskId, error: messageOf(err) });
      return { ok: false, message: `could not release the task's replication slot and checkpoint: ${messageOf(err)}; the task is stopped, retry when the databases are reachable.` };
    }
    await this.store.mutateTaskRuntime(taskId, () => ({ resourcesCreated: false }));
    return { ok: true, message: null };
  }
}
