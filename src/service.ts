/**
 * Assembles the service: data dir lock, catalog, engine runtime, actions and the HTTP edge.
 * `startService` takes the data dir for this process before anything else (a second service on
 * the same data dir stops at once and changes nothing), listens, and only then resumes the tasks
 * that were running before a restart, so a start that cannot listen never touches them.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.ts';
import type { ServiceConfig } from './config/service-config.ts';
import { ensureAdminKey } from './config/admin-key.ts';
import { lockDataDir, prepareDataDir, type DataDirLock } from './config/data-dir.ts';
import { openCatalog } from './config/open-catalog.ts';
import type { CatalogStore } from './store/catalog-store.ts';
import { createPipelineFactory } from './runtime/pipeline-factory.ts';
import { TaskLifecycle } from './runtime/task-lifecycle.ts';
import { ConfigProcessor } from './runtime/config-processor.ts';
import { registerActions } from './actions/index.ts';
import { createActionRegistry } from './protocol/action-registry.ts';
import { createApiServer } from './protocol/api-server.ts';
import { loadOperationSpecs } from './protocol/operation-spec.ts';
import { parseMonitoringConfig, type MonitoringConfig } from './runtime/monitoring/monitoring-config.ts';
import { TaskMonitor } from './runtime/monitoring/task-monitor.ts';
import { observeTaskStatus } from './runtime/monitoring/observe-task-status.ts';
import { createServiceMetrics } from './runtime/monitoring/prometheus.ts';
import { monitoringRoutes } from './runtime/monitoring/monitoring-routes.ts';
import { consoleRoutes } from './console/console-routes.ts';
import { clusterSettings } from './config/cluster-settings.ts';
import { PgCoordinator } from './cluster/postgres/pg-coordinator.ts';
import { Reconciler } from './cluster/reconciler.ts';

export { CATALOG_FILE } from './config/open-catalog.ts';

export interface RunningService {
  port: number;
  /** How long `close` may take (stop bound, plus a cluster node's drain). */
  closeBoundMs: number;
  close(): Promise<void>;
}

/** Requests still in flight at shutdown get this long before their connections are cut. */
const REQUEST_GRACE_MS = 5_000;

export async function startService(config: ServiceConfig, logger: Logger): Promise<RunningService> {
  const monitoring = parseMonitoringConfig(process.env);
  const { created } = prepareDataDir(config.dataDir);
  if (created) logger.info('created the data dir (owner-only)', { dataDir: config.dataDir });
  const lock = lockDataDir(config.dataDir);
  let store: CatalogStore | undefined;
  try {
    store = await openCatalog(config.dataDir, {
      busyTimeoutMs: config.catalogBusyTimeoutMs, masterKey: config.masterKey, masterKeyFile: config.masterKeyFile,
      catalogUrl: config.catalogUrl, nodeId: config.nodeId, ...config.catalogTimeouts,
      onIdleError: (err) => logger.warn('a catalog connection broke; the next call reconnects', { error: err.message }),
    });
    return await assemble(config, monitoring, logger, store, lock);
  } catch (err) {
    await store?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
}

async function assemble(config: ServiceConfig, monitoring: MonitoringConfig, logger: Logger, catalog: CatalogStore, lock: DataDirLock): Promise<RunningService> {
  const admin = await ensureAdminKey(catalog, config.dataDir, config.adminKey);
  if (admin.createdFile) logger.info('created the administrator AccessKey pair; it is stored (owner-only) in this file', { file: admin.createdFile });
  if (admin.promoted) logger.warn('the principal named admin was not the administrator; it is now, and the keys issued to it were revoked');
  if (admin.revoked.length > 0) logger.info('revoked replaced administrator keys', { accessKeyIds: admin.revoked });

  // Monitoring (docs/monitoring.md) watches status changes, tees the engine's log lines into
  // per-instance logs and hears of failovers and engine events from the runners.
  const monitor = new TaskMonitor(catalog, monitoring, logger);
  const store = monitoring.enabled ? observeTaskStatus(catalog, (before, after) => monitor.statusChanged(before, after)) : catalog;
  const engineLogger = monitoring.enabled ? monitor.teeLogger(logger) : logger;
  const { allowedHosts, allowCleartextPassword } = config;
  // Cluster mode (README "Running several nodes"): leases and ownership in the PostgreSQL catalog.
  const clustered = clusterSettings(config, process.env);
  const coordinator = clustered && new PgCoordinator({
    url: clustered.catalogUrl, nodeName: clustered.nodeName, leaseMs: clustered.leaseMs, heartbeatMs: clustered.heartbeatMs, logger,
    seedFence: async () => (await store.listTaskRuntimes({})).reduce((m, r) => Math.max(m, r.fence), 0),
  });
  const factory = createPipelineFactory(store, engineLogger, {
    batchMaxRows: config.batchMaxRows, batchMaxDelayMs: config.batchMaxDelayMs, sourceStallAfterMs: config.sourceStallMs, idleCheckpointMs: config.idleCheckpointMs,
    allowedHosts, allowCleartextPassword, nodeName: clustered?.nodeName,
  });
  const lifecycle = new TaskLifecycle(store, factory, engineLogger, config.stopTimeoutMs, monitoring.enabled ? monitor : undefined, coordinator || undefined);
  monitor.attachMetrics((taskId) => lifecycle.metrics(taskId));
  const configProcessor = new ConfigProcessor(store, logger, { ...config.configCheck, allowedHosts, allowCleartextPassword }, coordinator ? coordinator.nodeKey : null);
  // In a cluster another node may be running them: only a single process knows they were its own.
  const interrupted = coordinator ? 0 : await configProcessor.failInterrupted();
  if (interrupted > 0) logger.warn('config processes interrupted by the last stop were marked failed', { count: interrupted });
  const registry = createActionRegistry();
  registerActions(registry, { store, lifecycle, configProcessor, logger, allowedHosts, monitor });
  const actions = new Set([...loadOperationSpecs().values()].flatMap((ops) => [...ops.keys()]));
  const serviceMetrics = createServiceMetrics(monitor.metricsSource(), actions);

  const server = createApiServer({
    registry, logger, publicHost: config.publicHost, limits: config.http,
    credentials: {
      findAccessKey: async (id) => {
        const k = await store.findAccessKey(id);
        return k && { secret: k.secret, principalId: k.principalId };
      },
    },
    nonces: { claim: (ak, nonce, expiresAtMs) => store.claimNonce(ak, nonce, expiresAtMs, Date.now()) },
    routes: {
      ...monitoringRoutes(serviceMetrics, monitoring.metricsToken, {
        catalogReachable: async () => (await catalog.installationId()).length > 0,
        tasksResumed: () => monitor.tasksResumed,
      }),
      // The web console's files (README "Web console"); its data calls are signed RPC calls like any client's.
      ...consoleRoutes(logger),
    },
    onRequestDone: (info) => serviceMetrics.observeRequest(info),
  });
  await monitor.start();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => { server.off('error', reject); resolve(); });
  });
  server.on('error', (err) => logger.error('HTTP listener error', { error: err }));
  const port = (server.address() as AddressInfo).port;
  logger.info('OpenDI is listening', { endpoint: `${config.host}:${port}`, dataDir: config.dataDir, nodeId: config.nodeId, catalog: config.catalogUrl ? 'postgresql' : 'sqlite' });
  // /readyz turns ready once the tasks that were running are running again.
  let reconciler: Reconciler | undefined;
  if (coordinator && clustered) {
    // No resume on boot in a cluster: the reconcilers give each task to one node.
    try {
      await coordinator.start();
    } catch (err) {
      // Could not join (catalog down, no right to create the cluster schema): nothing stays up
      // half-started; startService then closes the catalog and the data dir lock.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await coordinator.close().catch(() => undefined);
      await monitor.close().catch(() => undefined);
      throw err;
    }
    reconciler = new Reconciler(coordinator, store, lifecycle, logger, clustered);
    lifecycle.onWanted = () => reconciler!.kick();
    reconciler.start();
    monitor.markResumed();
  } else {
    await lifecycle.resumeAll().then(() => monitor.markResumed(), (err) => logger.error('resuming tasks failed', { error: err }));
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    closeBoundMs: config.stopTimeoutMs + (clustered?.drainMs ?? 0),
    close: () => closing ??= (async () => {
      // A cluster node drains first: its tasks move to peers one graceful hand-off at a time.
      if (reconciler && clustered) {
        await reconciler.drain(clustered.drainMs).catch((err) => logger.error('drain failed', { error: err }));
        reconciler.close();
      }
      // Idle keep-alive sockets would hold close() open; requests in flight get a short grace.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), Math.min(REQUEST_GRACE_MS, config.stopTimeoutMs));
      await Promise.all([closed, lifecycle.shutdown(), configProcessor.drain()]);
      clearTimeout(grace);
      await coordinator?.close();
      await monitor.close();
      await store.close();
      lock.release();
    })(),
  };
}
