/**
 * The instance's delay, shared by GetDISyncInstanceInfo (src/actions/instance-progress.ts) and the
 * monitoring samples and alarms (src/runtime/monitoring/): computed from the pipeline's metrics, so
 * it lives in the runtime, which both of them may import.
 */
import type { PipelineMetrics } from '../engine/pipeline.ts';

/**
 * How far the target is behind the source: 0 while the pipeline is caught up (src/engine/caught-up.ts:
 * nothing more to read, the source heard from recently and not ahead); otherwise the time since
 * the later of the last applied source commit and the last moment the pipeline was caught up, so
 * it grows while the target falls behind, while the source is silent or stalled, and while the
 * server is still decoding a large committed transaction. Null before anything is known in the
 * incremental phase.
 */
export function delaySeconds(m: PipelineMetrics | undefined, now = Date.now()): number | null {
  if (!m || m.phase !== 'incremental') return null;
  if (m.caughtUp) return 0;
  const since = Math.max(m.lastSourceCommitTime?.getTime() ?? 0, m.lastCaughtUpAt?.getTime() ?? 0);
  if (since === 0) return null;
  return Math.max(0, (now - since) / 1000);
}
