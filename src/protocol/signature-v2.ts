/**
 * RPC signature V2 (HMAC-SHA1), as @alicloud/openapi-core signs with signatureAlgorithm 'v2':
 * every query parameter but Signature plus the form-body parameters, sorted by raw key,
 * POP-encoded `k=v` joined by `&`; string to sign METHOD&%2F&encode(canonical); key secret + "&".
 */
import { createHmac } from 'node:crypto';
import { popEncode } from './percent-encoding.ts';

export function computeV2Signature(params: Record<string, string>, method: string, secret: string): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${popEncode(k)}=${popEncode(params[k])}`)
    .join('&');
  const stringToSign = `${method}&${popEncode('/')}&${popEncode(canonical)}`;
  return createHmac('sha1', secret + '&').update(stringToSign).digest('base64');
}
