/**
 * ACS3-HMAC-SHA256 request signing, as @alicloud/openapi-core computes it (`getAuthorization`;
 * docs/design.md section 3, whose captured vector test/console-signing.test.ts checks):
 *   canonical request = method \n "/" \n canonical query \n canonical headers \n signed names \n hex(SHA-256(body))
 *   - canonical query: keys sorted, `key=popEncode(value)` joined by `&` (form-body parameters are
 *     covered by the body hash instead);
 *   - canonical headers: host, content-type and every x-acs-* header, names lower-case and sorted,
 *     one `name:trimmed value\n` each;
 *   string to sign = "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical request));
 *   signature = hex(HMAC-SHA256(secret, string to sign)).
 * The browser sets `host` itself from the page's address, which is what is signed.
 */
import type { Hasher } from './hash.ts';

export const ALGORITHM = 'ACS3-HMAC-SHA256';

export interface RpcCall {
  action: string;
  version: string;
  method: 'GET' | 'POST';
  /** Parameters in the query string (signed one by one). */
  query: Record<string, string>;
  /** Parameters in the application/x-www-form-urlencoded body (signed through its hash). */
  body: Record<string, string>;
}

export interface AccessKey { accessKeyId: string; accessKeySecret: string }

export interface SignedCall { url: string; method: string; headers: Record<string, string>; body?: string }

export interface SignContext { host: string; date: string; nonce: string; hasher: Hasher }

/** Alibaba Cloud's percent-encoding: encodeURIComponent plus ! ' ( ) *. */
export function popEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function formEncode(params: Record<string, string>): string {
  return Object.entries(params).map(([k, v]) => `${popEncode(k)}=${popEncode(v)}`).join('&');
}

/** `YYYY-MM-DDThh:mm:ssZ`, the form x-acs-date takes. */
export function acsDate(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export function randomNonce(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function signCall(call: RpcCall, key: AccessKey, ctx: SignContext): Promise<SignedCall> {
  const bodyText = formEncode(call.body);
  const headers: Record<string, string> = {
    host: ctx.host,
    'x-acs-action': call.action,
    'x-acs-version': call.version,
    'x-acs-date': ctx.date,
    'x-acs-signature-nonce': ctx.nonce,
    'x-acs-content-sha256': await ctx.hasher.sha256Hex(new TextEncoder().encode(bodyText)),
  };
  if (bodyText !== '') headers['content-type'] = 'application/x-www-form-urlencoded';
  const signature = await signatureOf(call.method, call.query, headers, key.accessKeySecret, ctx.hasher);
  const names = Object.keys(headers).sort();
  const { host: _signedHost, ...sent } = headers; // the browser sends Host itself
  sent.authorization = `${ALGORITHM} Credential=${key.accessKeyId},SignedHeaders=${names.join(';')},Signature=${signature}`;
  sent.accept = 'application/json';
  const query = formEncode(call.query);
  return { url: `/${query ? `?${query}` : ''}`, method: call.method, headers: sent, body: bodyText === '' ? undefined : bodyText };
}

/** The signature over a request whose signed headers (lower-case names) include x-acs-content-sha256. */
export async function signatureOf(method: string, query: Record<string, string>, signed: Record<string, string>, secret: string, hasher: Hasher): Promise<string> {
  const names = Object.keys(signed).sort();
  const canonicalQuery = Object.keys(query).sort().map((k) => `${k}=${popEncode(query[k])}`).join('&');
  const canonicalRequest = [
    method, '/', canonicalQuery, names.map((n) => `${n}:${signed[n].trim()}\n`).join(''), names.join(';'), signed['x-acs-content-sha256'],
  ].join('\n');
  const stringToSign = `${ALGORITHM}\n${await hasher.sha256Hex(new TextEncoder().encode(canonicalRequest))}`;
  return hasher.hmacSha256Hex(secret, stringToSign);
}
