/**
 * One node cut off from the catalog only (README "Running several nodes", scale-out design §6.5):
 * node n1 reaches the catalog through a TCP proxy, n2 directly; both reach the data. The proxy
 * then refuses and freezes n1's catalog connections for longer than the lease. n1 can no longer
 * trust its lease and stops its pipelines; n2 takes n1's tasks over once the lease has expired.
 * When n1 reaches the catalog again it rejoins under a new key and never writes for the tasks it
 * lost. After it all: target equals source, no row applied twice, the target fence is the last
 * one issued, no task FAILED.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TcpProxy } from './harness/tcp-proxy.ts';
import type { OpenDICluster } from './harness/opendi-cluster.ts';
import type { ClusterWorkload } from './harness/cluster-scenario.ts';
import { startProxiedCluster, stopProxiedCluster, type ProxiedCluster } from './harness/proxied-cluster.ts';
import { waitUntil } from './harness/realtime-scenario.ts';

let proxy: TcpProxy;
let cluster: OpenDICluster;
let work: ClusterWorkload;
const started: Partial<ProxiedCluster> = {};

before(async () => {
  ({ proxy, cluster, work } = await startProxiedCluster('cut', 1, started));
});
after(async () => { await stopProxiedCluster(started); });

test('a node cut off from the catalog only: it stops its pipelines, a peer takes its tasks over, nothing is lost or applied twice', async () => {
  await work.addTasks(cluster.node('n2').client(), 4);
  // Both nodes hold tasks (spread at start, or by the balancer after its settling window).
  await waitUntil(async () => ((await cluster.tasksByNode()).get('n1')?.length ?? 0) > 0 || undefined, 30_000, 'n1 to own a task');
  const cut = (await cluster.tasksByNode()).get('n1')!;
  const before = new Map((await cluster.owners()).map((o) => [o.taskId, o]));
  work.startWriters();
  await new Promise((r) => setTimeout(r, 1_000));

  const cutAt = Date.now();
  proxy.refuse(true);
  proxy.freeze();
  try {
    await waitUntil(async () => {
      const owners = await cluster.owners();
      const moved = cut.every((id) => owners.some((o) => o.taskId === id && o.live && o.node === 'n2'));
      if (!moved) return undefined;
      for (const t of work.tasks.filter((x) => cut.includes(x.fileId))) {
        if ((await work.status(t, cluster.node('n2').client())).Status !== 'RUN') return undefined;
      }
      return true;
    }, 60_000, `n2 to run the tasks of n1 (${cut.join(', ')})`);
    console.log(`# takeover from a node cut off from the catalog (${cut.length} tasks): ${Date.now() - cutAt} ms`);
    assert.match(cluster.node('n1').log, /lost the cluster lease/, 'n1 noticed it could not trust its lease');
    for (const id of cut) assert.ok((await cluster.ownerOf(id))!.fence > before.get(id)!.fence, `task ${id}: taken with a newer fence`);
  } finally {
    proxy.refuse(false);
    proxy.thaw();
  }
  // n1 reaches the catalog again: under its old key it owns nothing, and nothing it ran FAILED.
  await new Promise((r) => setTimeout(r, 3_000));
  assert.ok((await cluster.owners()).every((o) => o.key !== before.get(cut[0])!.key), 'the cut-off node did not take a task back under its old key');
  assert.doesNotMatch(cluster.node('n1').log, /"msg":"task failed"/);
  await work.checkInvariant();
});
