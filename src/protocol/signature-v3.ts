/**
 * ACS3-HMAC-SHA256 (Alibaba Cloud signature V3), as @alicloud/openapi-core 1.0.8 computes it in
 * `getAuthorization` (docs/design.md section 3):
 *   canonical request = method \n path \n canonical query \n canonical headers \n signed names \n body sha256
 *   - canonical query: raw (decoded) keys sorted by code unit, `key=popEncode(value)` joined by `&`
 *     (keys are NOT encoded; form-body parameters are not part of it);
 *   - canonical headers: one `name:value\n` per signed header, names lower-case, values trimmed;
 *   string to sign = "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical request));
 *   signature = hex(HMAC-SHA256(secret, string to sign)) with the raw secret as key.
 */
import { createHash, createHmac } from 'node:crypto';
import { popEncode } from './percent-encoding.ts';

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';

export interface V3Input {
  method: string;
  /** The request path as sent (`/` for RPC calls). */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  /**
   * The signed headers as [lower-case name, value], in the client's SignedHeaders order (the
   * client sorts them; we follow its list rather than re-sorting, so the canonical form is the
   * one it signed). Several values of one header are joined by the caller.
   */
  signedHeaders: [string, string][];
  /** The x-acs-content-sha256 value, as the client sent it. */
  payloadSha256: string;
}

export function computeV3Signature(input: V3Input, secret: string): string {
  const canonicalQuery = Object.keys(input.query).sort().map((k) => `${k}=${popEncode(input.query[k])}`).join('&');
  const canonicalHeaders = input.signedHeaders.map(([name, value]) => `${name}:${value.trim()}\n`).join('');
  const canonicalRequest = [
    input.method, input.path, canonicalQuery, canonicalHeaders, input.signedHeaders.map(([name]) => name).join(';'), input.payloadSha256,
  ].join('\n');
  const stringToSign = `${V3_ALGORITHM}\n${sha256Hex(Buffer.from(canonicalRequest, 'utf8'))}`;
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
