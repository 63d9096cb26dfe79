/**
 * Service configuration: parsed and validated once from flags and environment, then passed down.
 */
import os from 'node:os';
import path from 'node:path';
import { LOG_LEVELS, type LogLevel } from '../logger.ts';
import { HostAllowList } from './host-allow-list.ts';
import { catalogUrlProblem } from './catalog-url.ts';

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
  /** How often an idle task commits the source's caught-up position (engine default when absent; src/engine/pipeline.ts). */
  idleCheckpointMs?: number;
  logLevel: LogLevel;
  adminKey?: { accessKeyId: string; secret: string };
  /** OPENDI_MASTER_KEY (seals the catalog's secrets); undefined: OPENDI_MASTER_KEY_FILE, else the data dir's master.key. */
  masterKey?: string;
  /** OPENDI_MASTER_KEY_FILE: a file holding the master key (shared by the nodes of one catalog). */
  masterKeyFile?: string;
  /** --catalog-url / OPENDI_CATALOG_URL: the catalog is in this PostgreSQL database; undefined: the data dir's SQLite file. */
  catalogUrl?: string;
  /** --node-id / OPENDI_NODE_ID: this process among the nodes of a shared catalog (default `<host name>:<port>`). */
  nodeId: string;
  /** Bounds of the PostgreSQL catalog's connections and statements (OPENDI_CATALOG_CONNECT_TIMEOUT_MS, OPENDI_CATALOG_STATEMENT_TIMEOUT_MS). */
  catalogTimeouts: { connectTimeoutMs: number; statementTimeoutMs: number };
  /** Where data sources may point; undefined: anywhere (README "Security and operations"). */
  allowedHosts?: HostAllowList;
  /** Data source passwords may go unencrypted over a plain connection (cleartext authentication). */
  allowCleartextPassword: boolean;
  http: HttpLimits;
  configCheck: ConfigCheckBounds;
}

/** Bounds of the HTTP edge against slow or numerous clients (docs in README "Limits"). */
export interface HttpLimits { maxConnections: number; requestTimeoutMs: number; headersTimeoutMs: number }

/** Bounds of one GenerateDISyncTaskConfigFor* check against its source database. */
export interface ConfigCheckBounds { connectTimeoutMs: number; statementTimeoutMs: number; totalTimeoutMs: number }

export class ConfigError extends Error {}

const DEFAULT_PORT = 8080;

/** `opendi serve` flags; anything else stops the service with a message naming it. */
export const SERVE_FLAGS = [
  'port', 'host', 'data-dir', 'public-host', 'stop-timeout-ms', 'log-level', 'allowed-hosts', 'allow-cleartext-password',
  'max-connections', 'request-timeout-ms', 'check-timeout-ms', 'catalog-url', 'node-id',
] as const;

/** What a node id may hold: it names connections (application_name) and log lines. */
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,47}$/;

export function parseServiceConfig(flags: Record<string, string>, env: NodeJS.ProcessEnv): ServiceConfig {
  const unknown = Object.keys(flags).filter((f) => !(SERVE_FLAGS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new ConfigError(`unknown flag${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `--${f}`).join(', ')} (opendi serve takes ${SERVE_FLAGS.map((f) => `--${f}`).join(', ')})`);
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
  const port = num('--port', flags.port ?? env.OPENDI_PORT, DEFAULT_PORT, 0, 65535);
  const catalogUrl = flags['catalog-url'] ?? env.OPENDI_CATALOG_URL;
  const urlProblem = catalogUrl === undefined || catalogUrl === '' ? undefined : catalogUrlProblem(catalogUrl);
  if (urlProblem) throw new ConfigError(urlProblem);
  const nodeId = flags['node-id'] ?? env.OPENDI_NODE_ID ?? defaultNodeId(port);
  if (!NODE_ID.test(nodeId)) throw new ConfigError('--node-id must be 1 to 48 letters, digits, dots, colons, dashes or underscores, starting with a letter or digit');
  return {
    host: flags.host ?? env.OPENDI_HOST ?? '127.0.0.1',
    port,
    dataDir: path.resolve(flags['data-dir'] ?? env.OPENDI_DATA_DIR ?? '.opendi'),
    publicHost: flags['public-host'] ?? env.OPENDI_PUBLIC_HOST,
    stopTimeoutMs: num('--stop-timeout-ms', flags['stop-timeout-ms'] ?? env.OPENDI_STOP_TIMEOUT_MS, 10_000, 100, 600_000),
    catalogBusyTimeoutMs: num('OPENDI_CATALOG_BUSY_TIMEOUT_MS', env.OPENDI_CATALOG_BUSY_TIMEOUT_MS, 5000, 0, 60_000),
    batchMaxRows: optional('OPENDI_BATCH_MAX_ROWS', env.OPENDI_BATCH_MAX_ROWS, 1, 1_000_000),
    batchMaxDelayMs: optional('OPENDI_BATCH_MAX_DELAY_MS', env.OPENDI_BATCH_MAX_DELAY_MS, 1, 60_000),
    sourceStallMs: optional('OPENDI_SOURCE_STALL_MS', env.OPENDI_SOURCE_STALL_MS, 2_000, 600_000),
    idleCheckpointMs: optional('OPENDI_IDLE_CHECKPOINT_MS', env.OPENDI_IDLE_CHECKPOINT_MS, 1_000, 3_600_000),
    logLevel,
    adminKey: keyId !== undefined && keySecret !== undefined ? { accessKeyId: keyId, secret: keySecret } : undefined,
    masterKey: env.OPENDI_MASTER_KEY,
    masterKeyFile: env.OPENDI_MASTER_KEY_FILE || undefined,
    catalogUrl: catalogUrl || undefined,
    nodeId,
    catalogTimeouts: {
      connectTimeoutMs: num('OPENDI_CATALOG_CONNECT_TIMEOUT_MS', env.OPENDI_CATALOG_CONNECT_TIMEOUT_MS, 5_000, 100, 600_000),
      statementTimeoutMs: num('OPENDI_CATALOG_STATEMENT_TIMEOUT_MS', env.OPENDI_CATALOG_STATEMENT_TIMEOUT_MS, 5_000, 100, 600_000),
    },
    allowedHosts: parseAllowList(flags['allowed-hosts'] ?? env.OPENDI_ALLOWED_HOSTS),
    allowCleartextPassword: bool('--allow-cleartext-password', flags['allow-cleartext-password'] ?? env.OPENDI_ALLOW_CLEARTEXT_PASSWORD),
    http: {
      maxConnections: num('--max-connections', flags['max-connections'] ?? env.OPENDI_MAX_CONNECTIONS, 1000, 1, 1_000_000),
      requestTimeoutMs: num('--request-timeout-ms', flags['request-timeout-ms'] ?? env.OPENDI_REQUEST_TIMEOUT_MS, 60_000, 1000, 3_600_000),
      headersTimeoutMs: num('OPENDI_HEADERS_TIMEOUT_MS', env.OPENDI_HEADERS_TIMEOUT_MS, 20_000, 1000, 3_600_000),
    },
    configCheck: {
      connectTimeoutMs: num('OPENDI_CHECK_CONNECT_TIMEOUT_MS', env.OPENDI_CHECK_CONNECT_TIMEOUT_MS, 10_000, 100, 600_000),
      statementTimeoutMs: num('OPENDI_CHECK_STATEMENT_TIMEOUT_MS', env.OPENDI_CHECK_STATEMENT_TIMEOUT_MS, 15_000, 100, 600_000),
      totalTimeoutMs: num('--check-timeout-ms', flags['check-timeout-ms'] ?? env.OPENDI_CHECK_TIMEOUT_MS, 60_000, 100, 3_600_000),
    },
  };
}

/** `<host name>:<port>`, trimmed to what a node id may hold. */
function defaultNodeId(port: number): string {
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40) || 'node';
  return `${host}:${port}`;
}

function bool(name: string, v: string | undefined): boolean {
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new ConfigError(`${name} must be true or false`);
}

function parseAllowList(text: string | undefined): HostAllowList | undefined {
  if (text === undefined) return undefined;
  try {
    return HostAllowList.parse(text);
  } catch (err) {
    throw new ConfigError(`--allowed-hosts: ${(err as Error).message}`);
  }
}
