/**
 * The catalog database briefly unreachable (README "Running several nodes"): one node reaches its
 * PostgreSQL catalog through a TCP proxy that is frozen for 3 s (less than the safe part of the
 * lease). The running task keeps streaming meanwhile (rows reach the target), nothing FAILS, no
 * takeover happens (the fence is unchanged), and afterwards the target equals the source with
 * every row applied once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TcpProxy } from './harness/tcp-proxy.ts';
import type { OpenDICluster } from './harness/opendi-cluster.ts';
import type { ClusterWorkload } from './harness/cluster-scenario.ts';
import { startProxiedCluster, stopProxiedCluster, type ProxiedCluster } from './harness/proxied-cluster.ts';

let proxy: TcpProxy;
let cluster: OpenDICluster;
let work: ClusterWorkload;
const started: Partial<ProxiedCluster> = {};

before(async () => {
  ({ proxy, cluster, work } = await startProxiedCluster('out', 0, started));
});
after(async () => { await stopProxiedCluster(started); });

test('a running task keeps streaming while the catalog is unreachable for 3 s', async () => {
  const [task] = await work.addTasks(cluster.other().client(), 1);
  work.startWriters();
  await new Promise((r) => setTimeout(r, 1_000));
  const fence = (await cluster.ownerOf(task.fileId))!.fence;
  proxy.refuse(true);
  proxy.freeze();
  const before = await work.targetRows(task);
  await new Promise((r) => setTimeout(r, 3_000));
  const during = await work.targetRows(task);
  proxy.refuse(false);
  proxy.thaw();
  assert.ok(during > before, `rows kept arriving while the catalog was away (${before} -> ${during})`);
  assert.equal((await cluster.ownerOf(task.fileId))!.fence, fence, 'no takeover, no restart');
  await work.checkInvariant();
});
