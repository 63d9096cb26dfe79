/**
 * The HTTP edge (docs/design.md section 3): RPC calls on `/`, parameters in the query string and/or an
 * application/x-www-form-urlencoded body, signed with V3 or V2. Per request:
 * parse the query -> authenticate what the head carries (V3: fully; V2: shape, timestamp, key)
 * -> read the body (8 MiB cap; V2 bodies count against a shared pre-authentication budget)
 * -> finish authentication -> resolve the action -> decode the parameters against the spec
 * (field-limits.ts bounds) -> call the handler -> `200 {RequestId, ...result}`.
 * Slow or numerous clients are bounded by a connection cap, a headers timeout and a whole-request
 * timeout (EdgeLimits).
 * Every answer is JSON with a RequestId (also in `x-acs-request-id`); bad input is a 4xx from the
 * error catalog, never a 500 and never an HTML page. One log line per request, without secrets.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import { ApiError, bodyTooLarge, errorBody, invalidHttpRequest, methodNotAllowed, pathNotFound, serializeError, writeJson } from './errors.ts';
import { BodyBudget, RequestAborted, discardRest, parseFormBody, parseParams, readBody } from './read-request.ts';
import { authenticateHead } from './authenticate.ts';
import { decodeParams } from './decode-params.ts';
import type { ActionRegistry } from './action-registry.ts';
import type { CredentialLookup, NonceRegistry } from './ports.ts';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** All V2 bodies being read before their signature can be checked, together. */
export const PRE_AUTH_BODY_BUDGET = 32 * 1024 * 1024;
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
  limits?: Partial<EdgeLimits>;
  /**
   * Non-RPC paths (e.g. `/metrics`, `/healthz`, the console's files): exact path -> handler, served
   * outside the signed RPC flow; each handler answers for itself (method checks, its own authentication).
   */
  routes?: Record<string, RouteHandler>;
  /** Told of every RPC request once it is answered (request metrics). */
  onRequestDone?(info: { action?: string; version?: string; status: number | string; code?: string; ms: number }): void;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface EdgeLimits {
  /** Open connections at most; more are refused by the listener. */
  maxConnections: number;
  /** A whole request (headers and body) must arrive within this (408 otherwise). */
  requestTimeoutMs: number;
  /** The headers must arrive within this (408 otherwise). */
  headersTimeoutMs: number;
  preAuthBodyBudget: number;
}

export const DEFAULT_EDGE_LIMITS: EdgeLimits = {
  maxConnections: 1000, requestTimeoutMs: 60_000, headersTimeoutMs: 20_000, preAuthBodyBudget: PRE_AUTH_BODY_BUDGET,
};

const IDLE_CONNECTION_MS = 65_000;
/** Request line and headers together (see maxHeaderSize below). */
export const MAX_HEADER_BYTES = 128 * 1024;

/** What the request log line tells about a request; `ignored`: parameters not in the spec. */
interface RequestSeen { action?: string; version?: string; accessKeyId?: string; ignored?: string[] }

export function createApiServer(opts: ApiServerOptions): http.Server {
  const hostId = opts.hostId ?? opts.publicHost ?? 'opendi';
  const clock = opts.clock ?? Date.now;
  const limits = { ...DEFAULT_EDGE_LIMITS, ...opts.limits };
  const budget = new BodyBudget(limits.preAuthBodyBudget);
  const server = http.createServer({
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    // The SDKs keep connections alive and reuse idle ones. With Node's 5 s default the server can
    // close one just as a client sends on it ("socket hang up"); the side that closes idle
    // connections must be the client, so the server waits longer than clients keep them.
    keepAliveTimeout: IDLE_CONNECTION_MS,
    // The SDK sends most parameters in the query string (GenerateDISyncTaskConfigForCreating's
    // TaskParam, CreateDataSource's Content, ...): Node's 16 KiB default would refuse a script of a
    // few hundred tables with 431. 128 KiB holds a bounded Content (64 KiB) and large scripts, and
    // keeps what unauthenticated connections can pin bounded (maxConnections x 128 KiB).
    maxHeaderSize: MAX_HEADER_BYTES,
    // How often Node checks the two timeouts above.
    connectionsCheckingInterval: Math.min(5_000, Math.max(250, Math.floor(limits.headersTimeoutMs / 4))),
  }, (req, res) => {
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
  server.maxConnections = limits.maxConnections;
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
        // Refused before its body was read: drop what follows (never buffered) so the client reads the answer.
        if (!req.complete && req.listenerCount('data') === 0) discardRest(req, MAX_BODY_BYTES);
        if (err instanceof ApiError && err.httpStatus === 405) res.setHeader('allow', RPC_METHODS.join(', '));
        const apiError = serializeError(res, err, requestId, hostId, opts.logger);
        status = apiError.httpStatus;
        code = apiError.code;
      }
    }
    // Debug: polling clients would drown the task events logged at info (docs/design.md section 3).
    const ms = Math.round(performance.now() - started);
    opts.logger.debug?.('request', { requestId, method: req.method, ...seen, status, code, ms });
    opts.onRequestDone?.({ action: seen.action, version: seen.version, status, code, ms });
  }

  async function handle(req: IncomingMessage, requestId: string, seen: RequestSeen): Promise<Record<string, unknown>> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== '/') throw pathNotFound(path);
    const method = req.method ?? '';
    if (!(RPC_METHODS as readonly string[]).includes(method)) throw methodNotAllowed(method, RPC_METHODS);

    // A declared size over the cap is refused before anything else (nothing is read).
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) throw bodyTooLarge(MAX_BODY_BYTES);
    const query = parseParams(q < 0 ? '' : url.slice(q + 1), 'query string');
    // Logged even when authentication fails (as claimed; confirmed below once the signature verified).
    const claimed = req.headersDistinct['x-acs-action']?.[0] ?? query.Action;
    if (claimed !== undefined) seen.action = claimed.slice(0, 100);

    const pending = await authenticateHead(
      { method, path, headers: req.headersDistinct, query },
      { credentials: opts.credentials, nonces: opts.nonces, publicHost: opts.publicHost, clock },
    );
    const rawBody = await readBody(req, MAX_BODY_BYTES, pending.signature === 'v2' ? budget : undefined);
    let form: Record<string, string> | undefined;
    const bodyParams = () => form ??= parseFormBody(req.headers['content-type'], rawBody);
    const caller = await pending.complete({ rawBody, bodyParams });
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
