/**
 * When a pipeline counts as caught up (docs/cdc-failure-modes.md, mode 16): its last read found
 * nothing, and - for a source that reports its clock (change-source.ts, SourceClock) - the server
 * was heard from recently and has reported nothing beyond what was delivered. A frozen or
 * half-open source therefore stops looking caught up within HEARD_RECENTLY_MS, long before the
 * source gives up on it, and so does one still decoding a large committed transaction.
 */
import type { SourceClock } from './change-source.ts';

/** Sources with a clock hear from a healthy server about once a second; three seconds of silence is not healthy. */
export const HEARD_RECENTLY_MS = 3_000;

/** After an idle read: is everything the source's server has applied? (No clock: the idle read is all we know.) */
export function isSourceCaughtUp(clock: SourceClock | undefined, now = Date.now()): boolean {
  if (!clock) return true;
  const heard = clock.lastHeardAt !== null && now - clock.lastHeardAt.getTime() <= HEARD_RECENTLY_MS;
  return heard && !clock.serverAhead;
}
