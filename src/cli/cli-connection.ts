/**
 * Where `opendi call` and `opendi watch` send requests and with which key:
 * - key: OPENDI_ACCESS_KEY_ID / OPENDI_ACCESS_KEY_SECRET, else the administrator key the service
 *   stored in its data dir;
 * - data dir: --data-dir, else OPENDI_DATA_DIR, else the nearest `.opendi` in the current
 *   directory or one above it (so the CLI works from any subdirectory of where the service runs);
 * - endpoint: --endpoint host:port, else OPENDI_ENDPOINT, else 127.0.0.1:$OPENDI_PORT (8080).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_KEY_FILE, readStoredAdminKey } from '../config/admin-key.ts';
import { DataWorksClient } from '../client/dataworks-client.ts';

export interface CliConnection { client: DataWorksClient; endpoint: string }

export const DEFAULT_DATA_DIR_NAME = '.opendi';

/** The connection, or a message saying what is missing. */
export function openConnection(flags: Record<string, string>, env: NodeJS.ProcessEnv = process.env): CliConnection | string {
  const dataDir = flags['data-dir'] ?? env.OPENDI_DATA_DIR;
  const resolvedDir = dataDir !== undefined ? path.resolve(dataDir) : findDataDir(process.cwd());
  const stored = resolvedDir ? readStoredAdminKey(resolvedDir) : undefined;
  const accessKeyId = env.OPENDI_ACCESS_KEY_ID ?? stored?.accessKeyId;
  const accessKeySecret = env.OPENDI_ACCESS_KEY_SECRET ?? stored?.secret;
  if (!accessKeyId || !accessKeySecret) {
    const where = resolvedDir ?? `a ${DEFAULT_DATA_DIR_NAME} directory here or above`;
    return `no AccessKey: set OPENDI_ACCESS_KEY_ID and OPENDI_ACCESS_KEY_SECRET, or pass --data-dir pointing at the service's data dir (looked in ${where})`;
  }
  const endpoint = flags.endpoint ?? env.OPENDI_ENDPOINT ?? `127.0.0.1:${env.OPENDI_PORT ?? 8080}`;
  const signature = flags.signature === 'v2' ? 'v2' : 'v3';
  return { endpoint, client: new DataWorksClient({ endpoint, accessKeyId, accessKeySecret, signature }) };
}

/** The nearest `.opendi` holding the admin key, from `dir` upwards. */
function findDataDir(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, DEFAULT_DATA_DIR_NAME);
    if (fs.existsSync(path.join(candidate, ADMIN_KEY_FILE))) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

/** A one-line explanation of a failure to reach the service, or undefined for other errors. */
export function unreachableHint(err: unknown, endpoint: string): string | undefined {
  const code = (err as { code?: unknown }).code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused', ECONNRESET: 'connection reset', ETIMEDOUT: 'timed out',
    ENOTFOUND: 'host not found', EHOSTUNREACH: 'host unreachable', EAI_AGAIN: 'host name lookup failed',
  };
  if (typeof code !== 'string' || !Object.hasOwn(reasons, code)) return undefined;
  return `cannot reach OpenDI at ${endpoint} (${reasons[code]}): is the service running at ${endpoint}? ` +
    'Start it with `npm start -- --port <port>`, or pass --endpoint host:port (or set OPENDI_ENDPOINT).';
}
