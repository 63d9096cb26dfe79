/**
 * The workload of the cluster tests and the takeover bench: PostgreSQL -> PostgreSQL tasks, each
 * with its own source database under a continuous writer and its own target database with an
 * audit trigger (every applied row image is logged: a row applied twice shows up), and the
 * invariant checked after every scenario (../../README.md "Running several nodes").
 */
import assert from 'node:assert/strict';
import type { DataWorksClient } from '../../src/client/dataworks-client.ts';
import type { PgInstance } from './postgres.ts';
import { ContinuousWriter } from './continuous-writer.ts';
import type { OpenDICluster } from './opendi-cluster.ts';
import { auditedTargetDdl } from './pg-pipeline.ts';
import {
  addPostgresDataSource, createDeployedTask, createWorkspace, instanceInfo, realtimeScript, taskCall,
  waitForEqualTables, waitUntil, withDb,
} from './realtime-scenario.ts';

export interface ClusterTask { fileId: number; src: string; dst: string; writer?: ContinuousWriter }

export class ClusterWorkload {
  readonly tasks: ClusterTask[] = [];
  private nextId = 1;

  private constructor(readonly data: PgInstance, readonly cluster: OpenDICluster, readonly projectId: number, private readonly prefix: string) {}

  static async create(data: PgInstance, cluster: OpenDICluster, prefix: string): Promise<ClusterWorkload> {
    const client = cluster.other().client();
    return new ClusterWorkload(data, cluster, await createWorkspace(client, `ws_${prefix}`), prefix);
  }

  /** Creates, deploys and starts `count` tasks through the given client; waits until they all RUN. */
  async addTasks(client: DataWorksClient, count: number): Promise<ClusterTask[]> {
    const added: ClusterTask[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.tasks.length + 1;
      const task = { fileId: 0, src: `${this.prefix}_s${n}`, dst: `${this.prefix}_d${n}` };
      await this.data.createDatabase(task.src);
      await this.data.createDatabase(task.dst);
      await withDb(this.data, task.src, (c) => c.query(`CREATE TABLE public.t (id bigint PRIMARY KEY, payload text)`));
      await withDb(this.data, task.dst, (c) => c.query(auditedTargetDdl('t', 'id bigint PRIMARY KEY, payload text')));
      await addPostgresDataSource(client, this.projectId, task.src, this.data, task.src);
      await addPostgresDataSource(client, this.projectId, task.dst, this.data, task.dst);
      task.fileId = await createDeployedTask(client, this.projectId, `${this.prefix}_task${n}`, realtimeScript(task.src, task.dst, ['public.t']));
      assert.equal((await taskCall(client, 'StartDISyncInstance', this.projectId, task.fileId)).Data.Status, 'success');
      this.tasks.push(task);
      added.push(task);
    }
    for (const t of added) await this.waitStatus(t, ['RUN'], 60_000);
    return added;
  }

  startWriters(): void {
    for (const t of this.tasks) {
      if (t.writer) continue;
      t.writer = new ContinuousWriter(this.data, t.src, 'public.t', this.nextId, 10, 20);
      this.nextId += 10_000_000;
    }
  }

  async stopWriters(): Promise<void> {
    await Promise.all(this.tasks.map(async (t) => { await t.writer?.stop(); t.writer = undefined; }));
  }

  status(t: ClusterTask, client = this.cluster.other().client()): Promise<{ Status: string; Message?: string }> {
    return instanceInfo(client, this.projectId, t.fileId);
  }

  async waitStatus(t: ClusterTask, statuses: string[], timeoutMs = 30_000, client?: DataWorksClient): Promise<void> {
    await waitUntil(async () => statuses.includes((await this.status(t, client)).Status) || undefined, timeoutMs, `task ${t.fileId} to reach ${statuses}`);
  }

  /** Rows in the target now. */
  targetRows(t: ClusterTask): Promise<number> {
    return withDb(this.data, t.dst, async (c) => Number((await c.query(`SELECT count(*) AS n FROM t`)).rows[0].n));
  }

  targetCheckpoint(t: ClusterTask): Promise<{ position: string | null; fence: number } | undefined> {
    return withDb(this.data, t.dst, async (c) => {
      const r = (await c.query(`SELECT position, fence FROM opendi.sync_checkpoint WHERE task_id = $1`, [t.fileId])).rows[0];
      return r && { position: r.position, fence: Number(r.fence) };
    });
  }

  /**
   * After a scenario: writers stopped, every target equals its source, no row image applied twice
   * (audit), the target fence equals the last fence the catalog issued for the task, no task
   * FAILED, and (for running tasks) exactly one walsender on each slot.
   */
  async checkInvariant(expectRunning = true): Promise<void> {
    await this.stopWriters();
    for (const t of this.tasks) {
      const info = await this.status(t);
      assert.notEqual(info.Status, 'FAILED', `task ${t.fileId} FAILED: ${info.Message}`);
      if (!expectRunning) continue;
      await this.waitStatus(t, ['RUN'], 30_000);
      const rows = await waitForEqualTables(this.data, t.src, this.data, t.dst, 'public.t', 60_000);
      const audit = await withDb(this.data, t.dst, async (c) => (await c.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM audit`)).rows[0]);
      assert.deepEqual(audit, { n: rows.length, ids: rows.length }, `task ${t.fileId}: every source row applied exactly once`);
      // A hand-off of the balancer may be under way (the task shows RUN throughout): its new owner has
      // its fence from the catalog and claims the target a moment later. So this waits for the two to
      // agree (bounded); a target fence that stays behind fails here.
      let fences: { catalog?: number; target?: number } = {};
      const agreed = await waitUntil(async () => {
        fences = { catalog: (await this.cluster.ownerOf(t.fileId))?.fence, target: (await this.targetCheckpoint(t))?.fence };
        return fences.catalog === fences.target || undefined;
      }, 30_000, `task ${t.fileId}: the target fence to become the last one the catalog issued`).catch(() => false);
      assert.ok(agreed, `task ${t.fileId}: the target fence is the last one the catalog issued (${JSON.stringify(fences)})`);
      // Its new owner (after a hand-off) opens the slot after claiming the target: one walsender, once it streams.
      let walsenders = -1;
      await waitUntil(async () => {
        walsenders = await withDb(this.data, 'postgres', async (c) => Number((await c.query(
          `SELECT count(*) AS n FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.database = $1`, [t.src])).rows[0].n));
        return walsenders === 1 || undefined;
      }, 15_000, 'one walsender').catch(() => undefined);
      assert.equal(walsenders, 1, `task ${t.fileId}: one walsender on its slot`);
    }
  }
}
