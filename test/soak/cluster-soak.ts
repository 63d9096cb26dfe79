/**
 * The long cluster soak (not part of `npm test`; README "Running several nodes"):
 * `node --import tsx test/soak/cluster-soak.ts`. Three nodes on a private PostgreSQL catalog, six
 * tasks under continuous writers; SOAK_ROUNDS (default 20) rounds of kill -9 of a random node that
 * owns tasks, a fresh node started in its place, and every few rounds a SIGSTOP past the lease. After
 * every round: targets equal sources, each row applied once, target fence = catalog fence, no task
 * FAILED. Prints the takeover times (p50 / max) at the end; exits non-zero on the first violation.
 */
import { startPostgres } from '../harness/postgres.ts';
import { OpenDICluster } from '../harness/opendi-cluster.ts';
import { ClusterWorkload } from '../harness/cluster-scenario.ts';
import { waitUntil } from '../harness/realtime-scenario.ts';

const rounds = Number(process.env.SOAK_ROUNDS ?? 20);
const [data, catalog] = await Promise.all([startPostgres(), startPostgres()]);
const cluster = await OpenDICluster.start(catalog, 3);
const times: number[] = [];
let failed = false;
try {
  const work = await ClusterWorkload.create(data, cluster, 'soak');
  await work.addTasks(cluster.other().client(), 6);
  for (let round = 1; round <= rounds; round++) {
    work.startWriters();
    await new Promise((r) => setTimeout(r, 2_000));
    const owning = [...await cluster.tasksByNode()].filter(([, ids]) => ids.length > 0);
    const [victim, orphaned] = owning[Math.floor(Math.random() * owning.length)];
    const freeze = round % 5 === 0;
    const t0 = performance.now();
    if (freeze) cluster.freeze(victim);
    else { await cluster.node(victim).kill(); cluster.nodes.delete(victim); }
    await waitUntil(async () => {
      const owners = await cluster.owners();
      if (!orphaned.every((id) => owners.some((o) => o.taskId === id && o.live && o.node !== victim))) return undefined;
      for (const id of orphaned) if ((await work.status(work.tasks.find((t) => t.fileId === id)!)).Status !== 'RUN') return undefined;
      return true;
    }, 60_000, `round ${round}: the tasks of ${victim} to run elsewhere`);
    times.push(performance.now() - t0);
    if (freeze) cluster.thaw(victim); else await cluster.add();
    await work.checkInvariant();
    console.log(`round ${round}: ${freeze ? 'SIGSTOP' : 'kill -9'} of ${victim} (${orphaned.length} tasks): RUN elsewhere after ${Math.round(times.at(-1)!)} ms; invariant holds`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`takeover over ${times.length} rounds: p50 ${Math.round(sorted[Math.floor(sorted.length / 2)])} ms, max ${Math.round(sorted.at(-1)!)} ms`);
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await cluster.destroy();
  await Promise.all([data.destroy(), catalog.destroy()]);
}
process.exit(failed ? 1 : 0);
