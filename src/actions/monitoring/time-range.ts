/** StartTime / EndTime of the 2024 monitoring reads: unix seconds, StartTime <= EndTime. */
import { paramInvalid } from '../../protocol/errors.ts';

export function timeRange(params: Record<string, unknown>): { fromSec: number; toSec: number } {
  const fromSec = params.StartTime as number;
  const toSec = params.EndTime as number;
  for (const [name, v] of [['StartTime', fromSec], ['EndTime', toSec]] as const) {
    if (!Number.isSafeInteger(v) || v < 0 || v > 32_503_680_000) throw paramInvalid(name, 'must be a time in unix seconds');
  }
  if (fromSec > toSec) throw paramInvalid('StartTime', 'must not be after EndTime');
  return { fromSec, toSec };
}
