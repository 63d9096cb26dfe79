/**
 * The console's files on the HTTP edge (src/console): served unsigned by exact path from the
 * build, with content types, CSP and the other security headers, ETag revalidation, brotli/gzip
 * negotiation, GET/HEAD only; nothing outside the build is reachable (traversal attempts fall
 * through to the API's JSON 404); a failed build answers 500 and is retried; RPC calls still work.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createApiServer } from '../src/protocol/api-server.ts';
import { createActionRegistry } from '../src/protocol/action-registry.ts';
import { consoleRoutes } from '../src/console/console-routes.ts';
import { buildConsole } from '../src/console/console-bundle.ts';
import { DataWorksClient } from '../src/client/dataworks-client.ts';
import type { Logger } from '../src/logger.ts';

const errors: string[] = [];
const logger: Logger = {
  debug: () => undefined, info: () => undefined, warn: () => undefined,
  error: (msg, fields) => { errors.push(`${msg} ${JSON.stringify(fields)}`); },
  child: () => logger,
};

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function request(port: number, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A raw path: no client-side normalisation of `..` or escapes.
    const req = http.request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let port = 0;
let server: http.Server;
let builds = 0;

before(async () => {
  const registry = createActionRegistry();
  registry.register('2020-05-18', 'ListProjects', async () => ({ PageResult: { ProjectList: [] } }));
  server = createApiServer({
    registry, logger,
    credentials: { findAccessKey: async (id) => (id === 'AK1' ? { secret: 'secret-1', principalId: 'p1' } : undefined) },
    nonces: { claim: async () => true },
    routes: consoleRoutes(logger, () => { builds++; return buildConsole(); }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('GET /console/ serves the page with its security headers; /console redirects there', async () => {
  const page = await request(port, '/console/');
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(page.body.toString(), /<script type="module" src="app.js"><\/script>/);
  const csp = String(page.headers['content-security-policy']);
  for (const part of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) assert.ok(csp.includes(part), part);
  assert.ok(!csp.includes('unsafe'), 'no unsafe-inline / unsafe-eval');
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(String(page.headers.etag), /^"[A-Za-z0-9_-]{27}"$/);
  const redirect = await request(port, '/console');
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.location, '/console/');
});

test('every built file has its content type; the page only references files that are served', async () => {
  const types: Record<string, RegExp> = { 'app.js': /^text\/javascript/, 'chart.js': /^text\/javascript/, 'app.css': /^text\/css/, 'favicon.svg': /^image\/svg\+xml/ };
  for (const [name, type] of Object.entries(types)) {
    const r = await request(port, `/console/${name}`);
    assert.equal(r.status, 200, name);
    assert.match(String(r.headers['content-type']), type, name);
    assert.ok(r.body.length > 0, name);
  }
  const html = (await request(port, '/console/')).body.toString();
  for (const m of html.matchAll(/(?:src|href)="([^"#]+)"/g)) assert.equal((await request(port, `/console/${m[1]}`)).status, 200, m[1]);
  const app = (await request(port, '/console/app.js')).body.toString();
  assert.ok(!/https?:\/\/(?!github\.com)/.test(app.replace(/\/\*![\s\S]*?\*\//g, '').replace(/"http:\/\/www\.w3\.org[^"]*"/g, '')), 'no absolute URL (no CDN) in the app');
  assert.equal(builds, 1, 'built once, on the first request');
});

test('brotli or gzip by Accept-Encoding, both decoding to the same bytes; 304 on a matching ETag; HEAD has no body', async () => {
  const plain = await request(port, '/console/app.js', { headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.headers['content-encoding'], undefined);
  const br = await request(port, '/console/app.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.ok(br.body.length < plain.body.length / 2);
  assert.deepEqual(brotliDecompressSync(br.body), plain.body);
  const gz = await request(port, '/console/app.js', { headers: { 'accept-encoding': 'gzip, br;q=0' } });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(gunzipSync(gz.body), plain.body);
  assert.equal(gz.headers.vary, 'Accept-Encoding');
  const again = await request(port, '/console/app.js', { headers: { 'if-none-match': String(plain.headers.etag) } });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const head = await request(port, '/console/app.js', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(Number(head.headers['content-length']), plain.body.length);
});

test('other methods are 405 with Allow: GET, HEAD', async () => {
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const r = await request(port, '/console/app.js', { method });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD');
  }
});

test('nothing outside the build is reachable: traversal and unknown names get the API JSON 404', async () => {
  for (const path of [
    '/console/../package.json', '/console/%2e%2e/package.json', '/console/..%2fpackage.json', '/console/app.js/../../package.json',
    '/console/src/main.tsx', '/console/index.html', '/console//app.js', '/console/app.js%00', '/console/APP.JS', '/console/tsconfig.json',
    '/console/%2e%2e%2f%2e%2e%2fsrc%2fservice.ts', '/console/..\\..\\package.json',
  ]) {
    const r = await request(port, path);
    assert.equal(r.status, 404, path);
    const body = JSON.parse(r.body.toString());
    assert.equal(body.Code, 'InvalidAction.NotFound', path);
  }
});

test('RPC calls still go to / and are signed; the console path does not take them', async () => {
  const client = new DataWorksClient({ endpoint: `127.0.0.1:${port}`, accessKeyId: 'AK1', accessKeySecret: 'secret-1' });
  const r = await client.call('ListProjects', {});
  assert.deepEqual(r.body.PageResult, { ProjectList: [] });
});

test('a failed build answers 500 in words, is logged, and is tried again on the next request', async () => {
  let attempts = 0;
  const routes = consoleRoutes(logger, async () => { attempts++; if (attempts === 1) throw new Error('esbuild exploded'); return buildConsole(); });
  const s = http.createServer((req, res) => { void routes[req.url!.split('?')[0]](req, res); });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const p = (s.address() as AddressInfo).port;
  try {
    const first = await request(p, '/console/');
    assert.equal(first.status, 500);
    assert.match(first.body.toString(), /could not be built/);
    assert.ok(errors.some((e) => e.includes('esbuild exploded')));
    assert.equal((await request(p, '/console/')).status, 200);
    assert.equal(attempts, 2);
  } finally {
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});
