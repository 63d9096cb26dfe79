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

export { CATALOG_FILE } from './config/open-catalog.ts';

export interface RunningService {
  port: number;
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
  const factory = createPipelineFactory(store, engineLogger, {
    batchMaxRows: config.batchMaxRows, batchMaxDelayMs: config.batchMaxDelayMs, sourceStallAfterMs: config.sourceStallMs,
    allowedHosts, allowCleartextPassword,
  });
  const lifecycle = new TaskLifecycle(store, factory, engineLogger, config.stopTimeoutMs, monitoring.enabled ? monitor : undefined);
  monitor.attachMetrics((taskId) => lifecycle.metrics(taskId));
  const configProcessor = new ConfigProcessor(store, logger, { ...config.configCheck, allowedHosts, allowCleartextPassword });
  const interrupted = await configProcessor.failInterrupted();
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
  await lifecycle.resumeAll().then(() => monitor.markResumed(), (err) => logger.error('resuming tasks failed', { error: err }));

  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => closing ??= (async () => {
      // Idle keep-alive sockets would hold close() open; requests in flight get a short grace.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), Math.min(REQUEST_GRACE_MS, config.stopTimeoutMs));
      await Promise.all([closed, lifecycle.shutdown(), configProcessor.drain()]);
      clearTimeout(grace);
      await monitor.close();
      await store.close();
      lock.release();
    })(),
  };
}
