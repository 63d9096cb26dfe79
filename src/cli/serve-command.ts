/** `opendi serve`: runs the service until SIGINT/SIGTERM, then stops pipelines gracefully. */
import { createLogger } from '../logger.ts';
import { parseServiceConfig } from '../config/service-config.ts';
import { startService } from '../service.ts';

export async function serveCommand(flags: Record<string, string>): Promise<void> {
  const config = parseServiceConfig(flags, process.env);
  const logger = createLogger(config.logLevel);
  const service = await startService(config, logger);
  // Tests and scripts read the bound port (useful with --port 0) from this one stdout line.
  process.stdout.write(JSON.stringify({ listening: { host: config.host, port: service.port }, dataDir: config.dataDir }) + '\n');
  const shutdown = (signal: string) => {
    logger.info('shutting down', { signal });
    service.close().then(() => process.exit(0), (err) => { logger.error('shutdown failed', { error: err }); process.exit(1); });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
