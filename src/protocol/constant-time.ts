/**
 * Signatures and digests are compared in constant time so response timing does not reveal how
 * many leading characters matched. `crypto.timingSafeEqual` throws on buffers of unequal length
 * (docs/design.md section 3), so the lengths are compared first; the length itself is not secret.
 */
import { timingSafeEqual } from 'node:crypto';

export function constantTimeEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
