import { timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison; timingSafeEqual throws on unequal lengths, so check first. */
export function constantTimeEquals(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
