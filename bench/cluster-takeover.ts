/**
 * Takeover time in a cluster (README "Running several nodes"): three nodes on a private PostgreSQL
 * catalog, tasks under continuous writers; each round kill -9s the node owning the most tasks and
 * times until every one of its tasks is RUN on a survivor (the owner row names a live node and the
 * status is RUN), then starts a fresh node in its place. Same for SIGSTOP of an owner (the lease
 * must expire: no process death to see). Default timings (lease 8 s, heartbeat 1 s, tick 1 s).
 * Published defaults for comparison (../shared/notes/scale-out.md 2.13): Kafka Connect ~10 s
 * session + 300 s scheduled.rebalance.max.delay.ms; Flink heartbeat.timeout 50 s (+ restart);
 * Canal ZooKeeper session ~40 s + 5 s delay.
 */
import { startPostgres } from '../test/harness/postgres.ts';
import { OpenDICluster } from '../test/harness/opendi-cluster.ts';
import { ClusterWorkload } from '../test/harness/cluster-scenario.ts';
import { waitUntil } from '../test/harness/realtime-scenario.ts';
import { median } from './common.ts';

export interface TakeoverResult {
  killRounds: number; killP50Ms: number; killMaxMs: number;
  stopRounds: number; stopP50Ms: number; stopMaxMs: number;
  leaseMs: number;
}

const PRODUCTION_TIMINGS = {
  OPENDI_CLUSTER_LEASE_MS: '8000', OPENDI_CLUSTER_HEARTBEAT_MS: '1000', OPENDI_CLUSTER_TICK_MS: '1000',
  OPENDI_CLUSTER_CLAIM_GRACE_MS: '2000', OPENDI_CLUSTER_SETTLE_MS: '30000',
};

export async function benchTakeover(o: { killRounds: number; stopRounds: number }, log: (m: string) => void): Promise<TakeoverResult> {
  const [data, catalog] = await Promise.all([startPostgres(), startPostgres()]);
  const cluster = await OpenDICluster.start(catalog, 3, PRODUCTION_TIMINGS);
  try {
    const work = await ClusterWorkload.create(data, cluster, 'tk');
    await work.addTasks(cluster.other().client(), 6);
    work.startWriters();
    const time = async (victim: string, orphaned: number[], act: () => Promise<void>) => {
      const t0 = performance.now();
      await act();
      await waitUntil(async () => {
        const owners = await cluster.owners();
        if (!orphaned.every((id) => owners.some((x) => x.taskId === id && x.live && x.node !== victim))) return undefined;
        for (const id of orphaned) if ((await work.status(work.tasks.find((t) => t.fileId === id)!)).Status !== 'RUN') return undefined;
        return true;
      }, 120_000, `the tasks of ${victim} to run elsewhere`);
      return performance.now() - t0;
    };
    const kills: number[] = [];
    for (let i = 0; i < o.killRounds; i++) {
      const [victim, orphaned] = [...await cluster.tasksByNode()].sort((a, b) => b[1].length - a[1].length)[0];
      kills.push(await time(victim, orphaned, async () => { await cluster.node(victim).kill(); cluster.nodes.delete(victim); }));
      log(`takeover after kill -9 #${i + 1}: ${Math.round(kills.at(-1)!)} ms (${orphaned.length} tasks)`);
      await cluster.add();
    }
    const stops: number[] = [];
    for (let i = 0; i < o.stopRounds; i++) {
      const [victim, orphaned] = [...await cluster.tasksByNode()].sort((a, b) => b[1].length - a[1].length)[0];
      stops.push(await time(victim, orphaned, async () => cluster.freeze(victim)));
      cluster.thaw(victim);
      log(`takeover after SIGSTOP #${i + 1}: ${Math.round(stops.at(-1)!)} ms (${orphaned.length} tasks)`);
    }
    await work.checkInvariant();
    return {
      killRounds: kills.length, killP50Ms: median(kills), killMaxMs: Math.max(...kills),
      stopRounds: stops.length, stopP50Ms: median(stops), stopMaxMs: Math.max(...stops),
      leaseMs: Number(PRODUCTION_TIMINGS.OPENDI_CLUSTER_LEASE_MS),
    };
  } finally {
    await cluster.destroy();
    await Promise.all([data.destroy(), catalog.destroy()]);
  }
}
