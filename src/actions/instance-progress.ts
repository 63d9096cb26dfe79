/**
 * What a person needs to see about a real-time instance besides its status: the phase (full
 * load / incremental), how far behind the source it is, dirty records and skipped-DDL alerts.
 * Live figures come from the running pipeline; while it is not running, from what the catalog
 * kept of its last report.
 */
import type { ActionDeps } from './action-deps.ts';
import type { TaskRuntimeRecord } from '../store/catalog-store.ts';
import type { PipelineMetrics } from '../engine/pipeline.ts';

export function instanceProgress(deps: ActionDeps, rt: TaskRuntimeRecord) {
  const m = deps.lifecycle.metrics(rt.fileId);
  const kept = rt.progress;
  const phase = m?.phase ?? kept?.phase ?? null;
  return {
    Phase: phase === 'full load' ? 'FULL_LOAD' : phase === 'incremental' ? 'INCREMENTAL' : null,
    DelaySeconds: delaySeconds(m),
    DirtyRecords: m?.dirtyRecords ?? kept?.dirtyRecords ?? 0,
    RowsLoaded: m?.rowsLoaded ?? kept?.rowsLoaded ?? 0,
    TablesLoaded: m?.tablesLoaded ?? kept?.tablesLoaded ?? 0,
    RowsApplied: m?.rowsApplied ?? null,
    TransactionsApplied: m?.transactionsApplied ?? null,
    CommittedPosition: m?.committedPosition ?? null,
    AlertCount: kept?.alertCount ?? 0,
    Alerts: kept?.alerts ?? [],
  };
}

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

/**
 * The progress in words, for GetDISyncInstanceInfo's Message (the one free-text field the SDK
 * shows): null before the task has reported anything.
 */
export function progressSummary(p: ReturnType<typeof instanceProgress>): string | null {
  if (p.Phase === null) return null;
  const parts = [p.Phase === 'FULL_LOAD' ? 'full load' : 'incremental'];
  if (p.DelaySeconds !== null) parts.push(`delay ${p.DelaySeconds.toFixed(1)} s`);
  parts.push(`${p.RowsLoaded} rows loaded (${p.TablesLoaded} tables)`);
  if (p.RowsApplied !== null) parts.push(`${p.RowsApplied} rows applied`);
  parts.push(`${p.DirtyRecords} dirty records`, `${p.AlertCount} alerts`);
  return parts.join('; ');
}
