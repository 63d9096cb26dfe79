/**
 * Reads what an RPC request carries: the raw body (capped, kept as bytes because V3 signs its
 * SHA-256), the query string and the application/x-www-form-urlencoded body as decoded parameters.
 * Malformed percent-encoding and repeated names are client errors (400), never a crash.
 */
import type { IncomingMessage } from 'node:http';
import { bodyTooLarge, paramInvalid, unsupportedMediaType } from './errors.ts';
import { MalformedEncodingError, parsePairs } from './percent-encoding.ts';

/** The client went away before sending its whole body: there is nobody to answer. */
export class RequestAborted extends Error {}

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (Number(req.headers['content-length']) > maxBytes) {
    discardRest(req, maxBytes);
    return Promise.reject(bodyTooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) { chunks.push(chunk); return; }
      settled = true;
      chunks.length = 0;
      req.off('data', onData);
      discardRest(req, maxBytes);
      reject(bodyTooLarge(maxBytes));
    };
    req.on('data', onData);
    req.on('end', () => { if (!settled) { settled = true; resolve(Buffer.concat(chunks, size)); } });
    req.on('error', () => { if (!settled) { settled = true; reject(new RequestAborted('client aborted the request')); } });
    req.on('close', () => { if (!settled && !req.complete) { settled = true; reject(new RequestAborted('client aborted the request')); } });
  });
}

/**
 * Lingering close for a 413: keep reading and dropping what the client still sends, so it gets to
 * read the answer (closing a socket with unread input sends a TCP reset that can destroy the
 * answer in flight); past `limit` more bytes, cut the connection.
 */
function discardRest(req: IncomingMessage, limit: number): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limit) req.socket.destroy();
  });
  req.on('error', () => { /* the client went away; nothing to answer */ });
  req.resume();
}

/** Decoded `name=value` pairs; a name sent twice in one place is ambiguous and rejected. */
export function parseParams(text: string, where: 'query string' | 'form body'): Record<string, string> {
  let pairs: [string, string][];
  try {
    pairs = parsePairs(text);
  } catch (err) {
    if (err instanceof MalformedEncodingError) throw paramInvalid(where === 'query string' ? 'QueryString' : 'Body', `has ${err.message}`);
    throw err;
  }
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (Object.hasOwn(out, name)) throw paramInvalid(name, `appears more than once in the ${where}`);
    // defineProperty: a parameter named __proto__ must stay a plain entry, not a prototype change.
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The form body; only application/x-www-form-urlencoded is accepted (what openapi-core sends). */
export function parseFormBody(contentType: string | undefined, raw: Buffer): Record<string, string> {
  if (raw.length === 0) return {};
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw unsupportedMediaType(type);
  return parseParams(raw.toString('utf8'), 'form body');
}
