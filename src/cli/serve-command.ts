/**
 * `opendi serve`: runs the service until SIGINT/SIGTERM, then stops pipelines gracefully. An
 * unexpected error anywhere (a driver emitting 'error' nobody listens to, a stray rejection) is
 * logged and the service keeps serving every other workspace; a shutdown that overruns the stop
 * timeout exits anyway.
 */
import { createLogger, type Logger } from '../logger.ts';
import { parseServiceConfig } from '../config/service-config.ts';
import { startService } from '../service.ts';

/** Past the stop timeout, shutdown gets this much more before the process exits regardless. */
const SHUTDOWN_MARGIN_MS = 5_000;

export async function serveCommand(flags: Record<string, string>): Promise<void> {
  const config = parseServiceConfig(flags, process.env);
  const logger = createLogger(config.logLevel);
  keepServingOnUnexpectedErrors(logger);
  const service = await startService(config, logger);
  // Tests and scripts read the bound port (useful with --port 0) from this one stdout line.
  process.stdout.write(JSON.stringify({ listening: { host: config.host, port: service.port }, dataDir: config.dataDir }) + '\n');
  const shutdown = (signal: string) => {
    logger.info('shutting down', { signal });
    setTimeout(() => {
      logger.error('shutdown did not finish within the stop timeout; exiting', { stopTimeoutMs: config.stopTimeoutMs });
      process.exit(1);
    }, service.closeBoundMs + SHUTDOWN_MARGIN_MS).unref();
    service.close().then(() => process.exit(0), (err) => { logger.error('shutdown failed', { error: err }); process.exit(1); });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

/** Error messages only (drivers never put passwords in them); the stack says where. */
function keepServingOnUnexpectedErrors(logger: Logger): void {
  const describe = (err: unknown) => err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { message: String(err) };
  process.on('uncaughtException', (err) => logger.error('unexpected error; the service keeps running', { error: describe(err) }));
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection; the service keeps running', { error: describe(reason) }));
}
