/**
 * RPC signature V2 (HMAC-SHA1), as @alicloud/openapi-core 1.0.8 signs with
 * `signatureAlgorithm: 'v2'` (`getRPCSignature`, docs/design.md section 3): the signed set is every
 * query parameter but Signature plus the (flattened) form-body parameters; sorted by raw key;
 * `popEncode(k)=popEncode(v)` joined by `&`; string to sign = METHOD & "%2F" & popEncode(that);
 * signature = base64(HMAC-SHA1(secret + "&", string to sign)).
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
  return createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64');
}
