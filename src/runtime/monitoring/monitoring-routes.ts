/**
 * The non-RPC paths of the HTTP edge (README "Prometheus" and "Health endpoints"):
 * - `GET /metrics`: the Prometheus exposition; unsigned like every exporter, behind
 *   `Authorization: Bearer <OPENDI_METRICS_TOKEN>` when the operator set one;
 * - `GET /healthz`: 200 while the process serves (liveness);
 * - `GET /readyz`: 200 once the catalog answers and the tasks that were running have been
 *   resumed, else 503 with the failing checks (readiness).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler } from '../../protocol/api-server.ts';
import { constantTimeEquals } from '../../protocol/constant-time.ts';
import type { ServiceMetrics } from './prometheus.ts';

export interface Readiness { catalogReachable(): Promise<boolean>; tasksResumed(): boolean }

export function monitoringRoutes(metrics: ServiceMetrics, token: string | null, ready: Readiness): Record<string, RouteHandler> {
  return {
    '/metrics': async (req, res) => {
      if (!allowGet(req, res)) return;
      if (token !== null && !constantTimeEquals(req.headers.authorization ?? '', `Bearer ${token}`)) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="opendi-metrics"' });
        res.end('a bearer token is required for /metrics\n');
        return;
      }
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    '/healthz': (req, res) => {
      if (allowGet(req, res)) json(res, 200, { status: 'ok' });
    },
    '/readyz': async (req, res) => {
      if (!allowGet(req, res)) return;
      const catalog = await ready.catalogReachable().catch(() => false);
      const resumed = ready.tasksResumed();
      const ok = catalog && resumed;
      json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks: { catalog: catalog ? 'ok' : 'unreachable', tasks: resumed ? 'resumed' : 'resuming' } });
    },
  };
}

function allowGet(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
  res.end('use GET\n');
  return false;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
