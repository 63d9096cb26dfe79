/**
 * One file of the web console, prepared once for serving: its bytes, a strong ETag, and brotli and
 * gzip variants when they are smaller (negotiated by Accept-Encoding). Answers GET and HEAD only,
 * with 304 on a matching If-None-Match. Every answer carries the console's security headers
 * (README "Web console"): a CSP that allows scripts, styles and fetches from this origin only, no
 * framing, no sniffing, no referrer. `no-cache` makes browsers revalidate (a 304 is a few bytes),
 * so a new release is picked up on the next load without versioned file names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "manifest-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface StaticAsset {
  contentType: string;
  etag: string;
  identity: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

export function prepareAsset(body: Buffer, contentType: string): StaticAsset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const asset: StaticAsset = { contentType, etag, identity: body };
  if (/^(text\/|application\/(javascript|json)|image\/svg)/.test(contentType) && body.length > 256) {
    const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
    const gz = gzipSync(body, { level: 9 });
    if (br.length < body.length) asset.br = br;
    if (gz.length < body.length) asset.gzip = gz;
  }
  return asset;
}

export function serveAsset(req: IncomingMessage, res: ServerResponse, asset: StaticAsset): void {
  if (!allowRead(req, res)) return;
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS, 'content-type': asset.contentType, etag: asset.etag, 'cache-control': 'no-cache', vary: 'Accept-Encoding',
  };
  if (matchesEtag(req.headers['if-none-match'], asset.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const accepted = acceptedEncodings(req.headers['accept-encoding']);
  let body = asset.identity;
  if (asset.br && accepted.has('br')) { body = asset.br; headers['content-encoding'] = 'br'; }
  else if (asset.gzip && accepted.has('gzip')) { body = asset.gzip; headers['content-encoding'] = 'gzip'; }
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** GET and HEAD; anything else is 405 with Allow (the files hold no data and change nothing). */
export function allowRead(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
  res.end('the console files are read with GET\n');
  return false;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** Codings the client accepts (q=0 means refused). */
function acceptedEncodings(header: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) out.add(name);
  }
  return out;
}
