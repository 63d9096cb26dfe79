/**
 * The catalog database briefly unreachable (README "Running several nodes"): one node reaches its
 * PostgreSQL catalog through a TCP proxy that is frozen for 3 s (less than the safe part of the
 * lease). The running task keeps streaming meanwhile (rows reach the target), nothing FAILS, no
 * takeover happens (the fence is unchanged), and afterwards the target equals the source with
 * every row applied once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { TcpProxy } from './harness/tcp-proxy.ts';
import { OpenDICluster } from './harness/opendi-cluster.ts';
import { ClusterWorkload } from './harness/cluster-scenario.ts';

let data: PgInstance;
let catalog: PgInstance;
let proxy: TcpProxy;
let cluster: OpenDICluster;
let work: ClusterWorkload;

before(async () => {
  [data, catalog] = await Promise.all([startPostgres(), startPostgres()]);
  proxy = await TcpProxy.start(catalog.host, catalog.port);
  cluster = await OpenDICluster.start(catalog, 1, {}, 'opendi_catalog', { host: proxy.host, port: proxy.port });
  work = await ClusterWorkload.create(data, cluster, 'out');
});
after(async () => { await work?.stopWriters(); await cluster?.destroy(); await proxy?.close(); await Promise.all([data?.destroy(), catalog?.destroy()]); });

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
