/**
 * What a person needs to see about a real-time instance besides its status: the phase (full
 * load / incremental), how far behind the source it is, dirty records and skipped-DDL alerts.
 * Live figures come from the running pipeline; while it is not running, from what the catalog
 * kept of its last report.
 */
import type { ActionDeps } from './action-deps.ts';
import type { TaskRuntimeRecord } from '../store/catalog-store.ts';
import { delaySeconds } from '../runtime/delay-seconds.ts';

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
