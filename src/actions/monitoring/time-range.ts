/** StartTime / EndTime of the 2024 monitoring reads: unix seconds, StartTime <= EndTime. */
import { paramInvalid } from '../../protocol/errors.ts';

export function timeRange(params: { StartTime: number; EndTime: number }): { fromSec: number; toSec: number } {
  const fromSec = params.StartTime;
  const toSec = params.EndTime;
  for (const [name, v] of [['StartTime', fromSec], ['EndTime', toSec]] as const) {
    if (!Number.isSafeInteger(v) || v < 0 || v > 32_503_680_000) throw paramInvalid(name, 'must be a time in unix seconds');
  }
  if (fromSec > toSec) throw paramInvalid('StartTime', 'must not be after EndTime');
  return { fromSec, toSec };
}
