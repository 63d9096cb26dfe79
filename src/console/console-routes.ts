/**
 * The web console's paths on the HTTP edge (README "Web console"): `/console/` and its files,
 * unsigned because they hold no data (every data call the console makes is a signed RPC call to
 * `/`), and `/console` redirecting there. Only the files of the build are served, by exact path:
 * no file system lookup happens per request, so no path can reach outside the console.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import type { RouteHandler } from '../protocol/api-server.ts';
import { CONSOLE_FILES, buildConsole, type ConsoleFile } from './console-bundle.ts';
import { SECURITY_HEADERS, allowRead, serveAsset, type StaticAsset } from './static-asset.ts';

export const CONSOLE_PATH = '/console/';

export function consoleRoutes(logger: Logger, build: () => Promise<Map<ConsoleFile, StaticAsset>> = buildConsole): Record<string, RouteHandler> {
  let built: Promise<Map<ConsoleFile, StaticAsset>> | undefined;
  const assets = () => built ??= build().catch((err) => {
    built = undefined; // a later request tries again
    logger.error('the web console could not be built', { error: err instanceof Error ? err.message : String(err) });
    throw err;
  });
  const serve = (name: ConsoleFile): RouteHandler => async (req, res) => {
    if (!allowRead(req, res)) return;
    let files: Map<ConsoleFile, StaticAsset>;
    try { files = await assets(); } catch {
      res.writeHead(500, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('the web console could not be built; the service log says why\n');
      return;
    }
    serveAsset(req, res, files.get(name)!);
  };
  const routes: Record<string, RouteHandler> = { '/console': redirect, [CONSOLE_PATH]: serve('index.html') };
  for (const name of Object.keys(CONSOLE_FILES) as ConsoleFile[]) {
    if (name !== 'index.html') routes[CONSOLE_PATH + name] = serve(name);
  }
  return routes;
}

function redirect(req: IncomingMessage, res: ServerResponse): void {
  if (!allowRead(req, res)) return;
  res.writeHead(308, { ...SECURITY_HEADERS, location: CONSOLE_PATH, 'cache-control': 'no-cache' });
  res.end();
}
