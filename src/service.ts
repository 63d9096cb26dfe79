/**
 * Assembles the service: catalog, engine runtime, actions and the HTTP edge. `startService`
 * resumes the tasks that were running before a restart, then listens.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from './logger.ts';
import type { ServiceConfig } from './config/service-config.ts';
import { ensureAdminKey, ensureDataDir } from './config/admin-key.ts';
import { SqliteCatalogStore } from './store/sqlite/sqlite-catalog-store.ts';
import { createPipelineFactory } from './runtime/pipeline-factory.ts';
import { TaskLifecycle } from './runtime/task-lifecycle.ts';
import { ConfigProcessor } from './runtime/config-processor.ts';
import { registerActions } from './actions/index.ts';
import { createActionRegistry } from './protocol/action-registry.ts';
import { createApiServer } from './protocol/api-server.ts';
import { loadOperationSpecs } from './protocol/operation-spec.ts';
import { parseMonitoringConfig } from './runtime/monitoring/monitoring-config.ts';
import { TaskMonitor } from './runtime/monitoring/task-monitor.ts';
import { observeTaskStatus } from './runtime/monitoring/observe-task-status.ts';
import { createServiceMetrics } from './runtime/monitoring/prometheus.ts';
import { monitoringRoutes } from './runtime/monitoring/monitoring-routes.ts';

export const CATALOG_FILE = 'catalog.sqlite';

export interface RunningService {
  port: number;
  close(): Promise<void>;
}

export async function startService(config: ServiceConfig, logger: Logger): Promise<RunningService> {
  ensureDataDir(config.dataDir);
  const monitoringConfig = parseMonitoringConfig(process.env);
  const catalog = new SqliteCatalogStore(path.join(config.dataDir, CATALOG_FILE), { busyTimeoutMs: config.catalogBusyTimeoutMs });
  const { createdFile } = await ensureAdminKey(catalog, config.dataDir, config.adminKey);
  if (createdFile) logger.info('created the administrator AccessKey pair; it is stored (owner-only) in this file', { file: createdFile });

  // Monitoring (README "Monitoring and alerting") watches status changes, tees the engine's log
  // lines into per-instance logs and hears of failovers and engine events from the runners.
  const monitor = new TaskMonitor(catalog, monitoringConfig, logger);
  const store = monitoringConfig.enabled ? observeTaskStatus(catalog, (before, after) => monitor.statusChanged(before, after)) : catalog;
  const engineLogger = monitoringConfig.enabled ? monitor.teeLogger(logger) : logger;
  const factory = createPipelineFactory(store, engineLogger, { batchMaxRows: config.batchMaxRows, batchMaxDelayMs: config.batchMaxDelayMs });
  const lifecycle = new TaskLifecycle(store, factory, engineLogger, config.stopTimeoutMs, monitoringConfig.enabled ? monitor : undefined);
  monitor.attachMetrics((taskId) => lifecycle.metrics(taskId));
  const configProcessor = new ConfigProcessor(store, logger);
  const registry = createActionRegistry();
  registerActions(registry, { store, lifecycle, configProcessor, logger, monitor });
  const specs = loadOperationSpecs();
  const serviceMetrics = createServiceMetrics(monitor.metricsSource(), new Set([...specs.values()].flatMap((ops) => [...ops.keys()])));

  const server = createApiServer({
    registry, logger, publicHost: config.publicHost,
    credentials: {
      findAccessKey: async (id) => {
        const k = await store.findAccessKey(id);
        return k && { secret: k.secret, principalId: k.principalId };
      },
    },
    nonces: { claim: (ak, nonce, expiresAtMs) => store.claimNonce(ak, nonce, expiresAtMs, Date.now()) },
    routes: monitoringRoutes(serviceMetrics, monitoringConfig.metricsToken, {
      catalogReachable: async () => (await catalog.installationId()).length > 0,
      tasksResumed: () => monitor.tasksResumed,
    }),
    onRequestDone: (info) => serviceMetrics.observeRequest(info),
  });

  await monitor.start();
  await lifecycle.resumeAll();
  monitor.markResumed();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('OpenDI is listening', { endpoint: `${config.host}:${port}`, dataDir: config.dataDir });

  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => closing ??= (async () => {
      // Idle keep-alive sockets would hold close() open; requests in flight are let finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await lifecycle.shutdown();
      await monitor.close();
      await configProcessor.drain();
      await store.close();
    })(),
  };
}
