/**
 * The HTTP edge: RPC calls on `/` (GET, POST, PUT, DELETE), parameters in the query string and/or an
 * application/x-www-form-urlencoded body. Every answer is JSON with a RequestId (also in
 * `x-acs-request-id`); bad input is a 4xx from the error catalog, never a 500 or an HTML page.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import { ApiError, bodyTooLarge, methodNotAllowed, paramInvalid, pathNotFound, serializeError, writeJson } from './errors.ts';
import { MalformedEncodingError, parsePairs } from './percent-encoding.ts';
import { authenticate } from './authenticate.ts';
import { decodeParams } from './decode-params.ts';
import type { ActionRegistry } from './action-registry.ts';
import type { CredentialLookup, NonceRegistry } from './ports.ts';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const RPC_METHODS = ['GET', 'POST', 'PUT', 'DELETE'];

export interface ApiServerOptions {
  registry: ActionRegistry;
  credentials: CredentialLookup;
  nonces: NonceRegistry;
  logger: Logger;
  publicHost?: string;
  hostId?: string;
  now?: () => number;
}

export function createApiServer(opts: ApiServerOptions): http.Server {
  const hostId = opts.hostId ?? 'opendi';
  const now = opts.now ?? Date.now;
  return http.createServer((req, res) => {
    const requestId = randomUUID().toUpperCase();
    const started = performance.now();
    let action = '-';
    handle(req, res, requestId, (a) => { action = a; })
      .then((status) => opts.logger.info('request', { requestId, action, status, ms: Math.round(performance.now() - started) }))
      .catch((err) => {
        const e = serializeError(res, err, requestId, hostId, opts.logger);
        opts.logger.info('request', { requestId, action, status: e.httpStatus, code: e.code, ms: Math.round(performance.now() - started) });
      });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string, named: (action: string) => void): Promise<number> {
    const url = req.url ?? '/';
    const qIndex = url.indexOf('?');
    const path = qIndex < 0 ? url : url.slice(0, qIndex);
    if (path !== '/') throw pathNotFound(path);
    // The SDKs use the method the API reference gives an operation (POST, GET, and PUT for UpdateDataSource).
    const method = req.method ?? '';
    if (!RPC_METHODS.includes(method)) throw methodNotAllowed(method);
    const rawBody = await readBody(req);
    const query = toRecord(qIndex < 0 ? '' : url.slice(qIndex + 1), 'query string');
    let body: Record<string, string> | undefined;
    const bodyParams = () => body ??= parseBody(req, rawBody);

    const caller = await authenticate({ method, path, headers: req.headers, query, rawBody, bodyParams }, {
      credentials: opts.credentials, nonces: opts.nonces, publicHost: opts.publicHost, now,
    });
    named(caller.action);
    const { spec, handler } = opts.registry.resolve(caller.version, caller.action);
    const params = decodeParams(spec, query, bodyParams());
    const result = await handler({ requestId, principalId: caller.principalId, accessKeyId: caller.accessKeyId, action: caller.action, version: caller.version, params });
    writeJson(res, 200, requestId, { RequestId: requestId, ...result });
    return 200;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(bodyTooLarge(MAX_BODY_BYTES));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) { reject(bodyTooLarge(MAX_BODY_BYTES)); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(req: IncomingMessage, raw: Buffer): Record<string, string> {
  if (raw.length === 0) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new ApiError('UnsupportedMediaType', 415, `Content-Type ${JSON.stringify(type)} is not accepted; send parameters as application/x-www-form-urlencoded.`);
  }
  return toRecord(raw.toString('utf8'), 'form body');
}

function toRecord(text: string, where: string): Record<string, string> {
  let pairs: [string, string][];
  try {
    pairs = parsePairs(text);
  } catch (err) {
    if (err instanceof MalformedEncodingError) throw paramInvalid(where, err.message);
    throw err;
  }
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of pairs) {
    if (k in out) throw paramInvalid(k, `appears more than once in the ${where}`);
    out[k] = v;
  }
  return out;
}
