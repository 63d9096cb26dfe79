/**
 * The HTTP edge (docs/design.md section 3): RPC calls on `/`, parameters in the query string and/or an
 * application/x-www-form-urlencoded body, signed with V3 or V2. Per request:
 * read the body (8 MiB cap) -> parse the query -> authenticate -> resolve the action ->
 * decode the parameters against the spec -> call the handler -> `200 {RequestId, ...result}`.
 * Every answer is JSON with a RequestId (also in `x-acs-request-id`); bad input is a 4xx from the
 * error catalog, never a 500 and never an HTML page. One log line per request, without secrets.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import { ApiError, errorBody, invalidHttpRequest, methodNotAllowed, pathNotFound, serializeError, writeJson } from './errors.ts';
import { RequestAborted, parseFormBody, parseParams, readBody } from './read-request.ts';
import { authenticate } from './authenticate.ts';
import { decodeParams } from './decode-params.ts';
import type { ActionRegistry } from './action-registry.ts';
import type { CredentialLookup, NonceRegistry } from './ports.ts';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** The methods the DataWorks SDKs use for RPC calls: GET and POST, and PUT for UpdateDataSource (2020-05-18). */
export const RPC_METHODS = ['GET', 'POST', 'PUT'] as const;

export interface ApiServerOptions {
  registry: ActionRegistry;
  credentials: CredentialLookup;
  nonces: NonceRegistry;
  logger: Logger;
  /** host[:port] clients sign when they reach us through a proxy; also the default HostId. */
  publicHost?: string;
  /** HostId of error bodies. */
  hostId?: string;
  /** Server clock in ms since the epoch (tests inject a skewed one). */
  clock?: () => number;
  /**
   * Non-RPC paths (e.g. `/metrics`, `/healthz`, the console's files): exact path -> handler, served
   * outside the signed RPC flow; each handler answers for itself (method checks, its own authentication).
   */
  routes?: Record<string, RouteHandler>;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const IDLE_CONNECTION_MS = 65_000;

/** What the request log line tells about a request; `ignored`: parameters not in the spec. */
interface RequestSeen { action?: string; version?: string; accessKeyId?: string; ignored?: string[] }

export function createApiServer(opts: ApiServerOptions): http.Server {
  const hostId = opts.hostId ?? opts.publicHost ?? 'opendi';
  const clock = opts.clock ?? Date.now;
  const server = http.createServer((req, res) => {
    const route = routeOf(opts.routes, req.url);
    if (route) {
      Promise.resolve().then(() => route(req, res)).catch((err) => {
        opts.logger.error('route handling failed', { path: req.url?.split('?')[0], error: err instanceof Error ? err.message : String(err) });
        if (res.headersSent) res.destroy(); else { res.statusCode = 500; res.end(); }
      });
      return;
    }
    serve(req, res).catch((err) => {
      // Only a failing logger or socket can get here; never leave the request hanging.
      opts.logger.error('request handling failed', { error: err instanceof Error ? err.message : String(err) });
      res.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerUnparsable(err, socket, hostId));
  // The SDKs keep connections alive and reuse idle ones. With Node's 5 s default the server can
  // close one just as a client sends on it ("socket hang up"); the side that closes idle
  // connections must be the client, so the server waits longer than clients keep them.
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  server.headersTimeout = IDLE_CONNECTION_MS + 1_000;
  return server;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const started = performance.now();
    const seen: RequestSeen = {};
    let status: number | string = 200;
    let code: string | undefined;
    try {
      const body = await handle(req, requestId, seen);
      writeJson(res, 200, requestId, body);
    } catch (err) {
      if (err instanceof RequestAborted) {
        status = 'aborted';
        res.destroy();
      } else {
        if (err instanceof ApiError && err.httpStatus === 405) res.setHeader('allow', RPC_METHODS.join(', '));
        const apiError = serializeError(res, err, requestId, hostId, opts.logger);
        status = apiError.httpStatus;
        code = apiError.code;
      }
    }
    // Debug: polling clients would drown the task events logged at info (docs/design.md section 3).
    opts.logger.debug?.('request', {
      requestId, method: req.method, ...seen, status, code, ms: Math.round(performance.now() - started),
    });
  }

  async function handle(req: IncomingMessage, requestId: string, seen: RequestSeen): Promise<Record<string, unknown>> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== '/') throw pathNotFound(path);
    const method = req.method ?? '';
    if (!(RPC_METHODS as readonly string[]).includes(method)) throw methodNotAllowed(method, RPC_METHODS);

    const rawBody = await readBody(req, MAX_BODY_BYTES);
    const query = parseParams(q < 0 ? '' : url.slice(q + 1), 'query string');
    // Logged even when authentication fails (as claimed; confirmed below once the signature verified).
    const claimed = req.headersDistinct['x-acs-action']?.[0] ?? query.Action;
    if (claimed !== undefined) seen.action = claimed.slice(0, 100);
    let form: Record<string, string> | undefined;
    const bodyParams = () => form ??= parseFormBody(req.headers['content-type'], rawBody);

    const caller = await authenticate(
      { method, path, headers: req.headersDistinct, query, rawBody, bodyParams },
      { credentials: opts.credentials, nonces: opts.nonces, publicHost: opts.publicHost, clock },
    );
    Object.assign(seen, { action: caller.action, version: caller.version, accessKeyId: caller.accessKeyId });
    const { spec, handler } = opts.registry.resolve(caller.version, caller.action);
    const params = decodeParams(spec, query, bodyParams(), (name) => { if ((seen.ignored ??= []).length < 20) seen.ignored.push(name.slice(0, 100)); });
    const result = await handler({ requestId, principalId: caller.principalId, accessKeyId: caller.accessKeyId, action: caller.action, version: caller.version, params });
    const body: Record<string, unknown> = { RequestId: requestId, ...result };
    body.RequestId = requestId; // first in the body, and never overridden by a handler
    return body;
  }
}

function routeOf(routes: Record<string, RouteHandler> | undefined, url: string | undefined): RouteHandler | undefined {
  if (!routes) return undefined;
  const path = (url ?? '/').split('?')[0];
  return Object.hasOwn(routes, path) ? routes[path] : undefined;
}

/**
 * Node's HTTP parser rejected the request before a handler ran (bad syntax, oversized headers,
 * timeout). Answer in the same JSON shape instead of Node's bare default, then close.
 */
function answerUnparsable(err: NodeJS.ErrnoException, socket: Duplex, hostId: string): void {
  if (err.code === 'ECONNRESET' || !socket.writable) { socket.destroy(); return; }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const requestId = randomUUID().toUpperCase();
  const reason = status === 431 ? 'the request headers are too large' : status === 408 ? 'the request took too long to arrive' : 'the request is not well-formed HTTP';
  const text = JSON.stringify(errorBody(invalidHttpRequest(status, reason), requestId, hostId));
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json;charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(text)}\r\nx-acs-request-id: ${requestId}\r\nconnection: close\r\n\r\n${text}`,
  );
}
