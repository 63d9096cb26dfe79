/**
 * The catalog-outage cluster tests' setup: a data server, a catalog server reached by node n1
 * through a TCP proxy the test can freeze or make refuse (test/harness/tcp-proxy.ts), and
 * `directNodes` more nodes that reach the catalog directly; a workload of tasks on the data server.
 */
import { startPostgres, type PgInstance } from './postgres.ts';
import { TcpProxy } from './tcp-proxy.ts';
import { OpenDICluster } from './opendi-cluster.ts';
import { ClusterWorkload } from './cluster-scenario.ts';

export interface ProxiedCluster { data: PgInstance; catalog: PgInstance; proxy: TcpProxy; cluster: OpenDICluster; work: ClusterWorkload }

/** Fills `into` as it goes, so stopProxiedCluster(into) also tears down a start that failed half way. */
export async function startProxiedCluster(prefix: string, directNodes: number, into: Partial<ProxiedCluster>): Promise<ProxiedCluster> {
  [into.data, into.catalog] = await Promise.all([startPostgres(), startPostgres()]);
  const catalog = into.catalog;
  into.proxy = await TcpProxy.start(catalog.host, catalog.port);
  into.cluster = await OpenDICluster.start(catalog, 1, {}, 'opendi_catalog', { host: into.proxy.host, port: into.proxy.port });
  for (let i = 0; i < directNodes; i++) await into.cluster.add({}, { host: catalog.host, port: catalog.port });
  into.work = await ClusterWorkload.create(into.data, into.cluster, prefix);
  return into as ProxiedCluster;
}

/** Tears down what startProxiedCluster started, whatever of it did start. */
export async function stopProxiedCluster(p: Partial<ProxiedCluster>): Promise<void> {
  await p.work?.stopWriters();
  await p.cluster?.destroy();
  await p.proxy?.close();
  await Promise.all([p.data?.destroy(), p.catalog?.destroy()]);
}
