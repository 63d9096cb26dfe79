/**
 * ACS3-HMAC-SHA256 (signature V3), as @alicloud/openapi-core computes it: canonical request =
 * method, path, canonical query (raw keys sorted, `key=encode(value)`; body parameters excluded),
 * canonical headers (`name:value\n` for each signed header, lower-cased, trimmed), the signed
 * header names joined by `;`, and the hex SHA-256 of the body; string to sign =
 * "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical request)); signature = hex(HMAC-SHA256(secret, it)).
 */
import { createHash, createHmac } from 'node:crypto';
import { popEncode } from './percent-encoding.ts';

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';

export interface V3Input {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Values of the signed headers by lower-case name, in the client's SignedHeaders order. */
  signedHeaders: [string, string][];
  payloadSha256: string;
}

export function computeV3Signature(input: V3Input, secret: string): string {
  const canonicalQuery = Object.keys(input.query).sort().map((k) => `${k}=${popEncode(input.query[k])}`).join('&');
  const sorted = [...input.signedHeaders].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = sorted.map(([name, value]) => `${name}:${value.trim()}\n`).join('');
  const canonicalRequest = [
    input.method, input.path, canonicalQuery, canonicalHeaders, sorted.map(([n]) => n).join(';'), input.payloadSha256,
  ].join('\n');
  const stringToSign = `${V3_ALGORITHM}\n${sha256Hex(Buffer.from(canonicalRequest))}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
