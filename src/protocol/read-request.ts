/**
 * Reads what an RPC request carries: the raw body (capped, kept as bytes because V3 signs its
 * SHA-256), the query string and the application/x-www-form-urlencoded body as decoded parameters.
 * Malformed percent-encoding and repeated names are client errors (400), never a crash.
 */
import type { IncomingMessage } from 'node:http';
import { bodyTooLarge, paramInvalid, serverBusy, unsupportedMediaType } from './errors.ts';
import { MalformedEncodingError, parsePairs } from './percent-encoding.ts';

/** The client went away before sending its whole body: there is nobody to answer. */
export class RequestAborted extends Error {}

/**
 * Bytes of request bodies held in memory across all connections before their signature could be
 * checked (V2 signs the body). Past `limit`, further such reads are refused at once (503), so
 * unauthenticated clients cannot pin memory however many connections they open.
 */
export class BodyBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  give(n: number): void { this.used -= n; }
}

/** Reads the whole body (at most `maxBytes`); bytes held count against `budget` until it is read. */
export function readBody(req: IncomingMessage, maxBytes: number, budget?: BodyBudget): Promise<Buffer> {
  if (Number(req.headers['content-length']) > maxBytes) {
    discardRest(req, maxBytes);
    return Promise.reject(bodyTooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (err: Error, discard: boolean) => {
      settled = true;
      chunks.length = 0;
      budget?.give(size);
      req.off('data', onData);
      if (discard) discardRest(req, maxBytes);
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > maxBytes) { fail(bodyTooLarge(maxBytes), true); return; }
      if (budget && !budget.take(chunk.length)) { fail(serverBusy(), true); return; }
      size += chunk.length;
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => { if (!settled) { settled = true; budget?.give(size); resolve(Buffer.concat(chunks, size)); } });
    req.on('error', () => { if (!settled) fail(new RequestAborted('client aborted the request'), false); });
    req.on('close', () => { if (!settled && !req.complete) fail(new RequestAborted('client aborted the request'), false); });
  });
}

/**
 * Lingering close for a 413: keep reading and dropping what the client still sends, so it gets to
 * read the answer (closing a socket with unread input sends a TCP reset that can destroy the
 * answer in flight); past `limit` more bytes, cut the connection.
 */
export function discardRest(req: IncomingMessage, limit: number): void {
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
