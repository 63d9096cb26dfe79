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
import { consoleRoutes } from './console/console-routes.ts';

export const CATALOG_FILE = 'catalog.sqlite';

export interface RunningService {
  port: number;
  close(): Promise<void>;
}

export async function startService(config: ServiceConfig, logger: Logger): Promise<RunningService> {
  ensureDataDir(config.dataDir);
  const store = new SqliteCatalogStore(path.join(config.dataDir, CATALOG_FILE), { busyTimeoutMs: config.catalogBusyTimeoutMs });
  const { createdFile } = await ensureAdminKey(store, config.dataDir, config.adminKey);
  if (createdFile) logger.info('created the administrator AccessKey pair; it is stored (owner-only) in this file', { file: createdFile });

  const factory = createPipelineFactory(store, logger, { batchMaxRows: config.batchMaxRows, batchMaxDelayMs: config.batchMaxDelayMs });
  const lifecycle = new TaskLifecycle(store, factory, logger, config.stopTimeoutMs);
  const configProcessor = new ConfigProcessor(store, logger);
  const registry = createActionRegistry();
  registerActions(registry, { store, lifecycle, configProcessor, logger });

  const server = createApiServer({
    registry, logger, publicHost: config.publicHost,
    credentials: {
      findAccessKey: async (id) => {
        const k = await store.findAccessKey(id);
        return k && { secret: k.secret, principalId: k.principalId };
      },
    },
    nonces: { claim: (ak, nonce, expiresAtMs) => store.claimNonce(ak, nonce, expiresAtMs, Date.now()) },
    // The web console's files (README "Web console"); its data calls are signed RPC calls like any client's.
    routes: consoleRoutes(logger),
  });

  await lifecycle.resumeAll();
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
      await configProcessor.drain();
      await store.close();
    })(),
  };
}
