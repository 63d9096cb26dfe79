/**
 * Service configuration: parsed and validated once from flags and environment, then passed down.
 */
import path from 'node:path';
import { LOG_LEVELS, type LogLevel } from '../logger.ts';

export interface ServiceConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Host name clients sign when the service sits behind a proxy (V3 signs `host`). */
  publicHost?: string;
  /** StopDISyncInstance bound before a stop is forced (docs/design.md section 1). */
  stopTimeoutMs: number;
  catalogBusyTimeoutMs: number;
  batchMaxRows?: number;
  batchMaxDelayMs?: number;
  /** A source silent this long (no data, no keepalive) is stalled and reconnected (docs/cdc-failure-modes.md, mode 16). */
  sourceStallMs?: number;
  logLevel: LogLevel;
  adminKey?: { accessKeyId: string; secret: string };
}

export class ConfigError extends Error {}

const DEFAULT_PORT = 8080;

export function parseServiceConfig(flags: Record<string, string>, env: NodeJS.ProcessEnv): ServiceConfig {
  const num = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer between ${min} and ${max}`);
    return n;
  };
  const keyId = env.OPENDI_ACCESS_KEY_ID;
  const keySecret = env.OPENDI_ACCESS_KEY_SECRET;
  if ((keyId === undefined) !== (keySecret === undefined)) {
    throw new ConfigError('set both OPENDI_ACCESS_KEY_ID and OPENDI_ACCESS_KEY_SECRET, or neither');
  }
  if (keySecret !== undefined && keySecret.length < 16) throw new ConfigError('OPENDI_ACCESS_KEY_SECRET must be at least 16 characters');
  const logLevel = (flags['log-level'] ?? env.OPENDI_LOG_LEVEL ?? 'info') as LogLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const optional = (name: string, v: string | undefined, min: number, max: number) => v === undefined ? undefined : num(name, v, 0, min, max);
  return {
    host: flags.host ?? env.OPENDI_HOST ?? '127.0.0.1',
    port: num('--port', flags.port ?? env.OPENDI_PORT, DEFAULT_PORT, 0, 65535),
    dataDir: path.resolve(flags['data-dir'] ?? env.OPENDI_DATA_DIR ?? '.opendi'),
    publicHost: flags['public-host'] ?? env.OPENDI_PUBLIC_HOST,
    stopTimeoutMs: num('--stop-timeout-ms', flags['stop-timeout-ms'] ?? env.OPENDI_STOP_TIMEOUT_MS, 10_000, 100, 600_000),
    catalogBusyTimeoutMs: num('OPENDI_CATALOG_BUSY_TIMEOUT_MS', env.OPENDI_CATALOG_BUSY_TIMEOUT_MS, 5000, 0, 60_000),
    batchMaxRows: optional('OPENDI_BATCH_MAX_ROWS', env.OPENDI_BATCH_MAX_ROWS, 1, 1_000_000),
    batchMaxDelayMs: optional('OPENDI_BATCH_MAX_DELAY_MS', env.OPENDI_BATCH_MAX_DELAY_MS, 1, 60_000),
    sourceStallMs: optional('OPENDI_SOURCE_STALL_MS', env.OPENDI_SOURCE_STALL_MS, 2_000, 600_000),
    logLevel,
    adminKey: keyId !== undefined && keySecret !== undefined ? { accessKeyId: keyId, secret: keySecret } : undefined,
  };
}
