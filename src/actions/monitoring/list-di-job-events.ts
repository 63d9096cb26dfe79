/**
 * ListDIJobEvents (2024-05-18, spec/di-api-audit.md section 4.2): the job's event log of one
 * EventType in [StartTime, EndTime], newest first. `Id` and `CreateTime` (unix seconds) are
 * strings, as the SDK model declares. Failover fills FailoverMessage; DDL fills SrcTable,
 * DstTable, SrcSql, DstSql and Action; Alarm fills Type, Severity, Status, Channels (comma-joined)
 * and Detail. OpenDI also keeps Dirty, Status and Warning events (Detail; Status for Status).
 */
import { paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { paging } from '../access.ts';
import { requireJob } from '../require-job.ts';
import { EVENT_KINDS, type EventKind, type TaskEventRecord } from '../../store/monitoring-store.ts';
import { timeRange } from './time-range.ts';

export const listDIJobEvents: Action<'2024-05-18', 'ListDIJobEvents'> = async (deps, ctx) => {
  const p = ctx.params;
  if (p.DIJobId === undefined) throw paramInvalid('DIJobId', 'is mandatory for this action');
  const job = await requireJob(deps, ctx, p.DIJobId);
  const kind = EVENT_KINDS.find((k) => k.toLowerCase() === p.EventType.toLowerCase());
  if (!kind) throw paramInvalid('EventType', `must be one of ${EVENT_KINDS.join(', ')}; got ${JSON.stringify(p.EventType).slice(0, 80)}`);
  const { fromSec, toSec } = timeRange(p);
  const { pageNumber, pageSize, offset } = paging(p, 10, 100);
  const page = await deps.store.monitoring.listEvents(job.id, { kinds: [kind as EventKind], fromMs: fromSec * 1000, toMs: toSec * 1000 + 999 }, offset, pageSize);
  return { PagingInfo: { PageNumber: pageNumber, PageSize: pageSize, TotalCount: page.total, DIJobEvent: page.items.map(eventView) } };
};

export function eventView(e: TaskEventRecord): Record<string, string> {
  const out: Record<string, string> = { Id: String(e.id), CreateTime: String(Math.floor(e.createdAt / 1000)) };
  const put = (name: string, v: string | null | undefined) => { if (v !== null && v !== undefined) out[name] = v; };
  switch (e.kind) {
    case 'Failover':
      put('FailoverMessage', e.failoverMessage);
      break;
    case 'DDL':
      put('SrcTable', e.srcTable); put('DstTable', e.dstTable); put('SrcSql', e.srcSql); put('DstSql', e.dstSql); put('Action', e.action);
      break;
    case 'Alarm':
      put('Type', e.alarmType); put('Severity', e.severity); put('Status', e.status); put('Channels', e.channels);
      break;
    case 'Status':
      put('Status', e.status);
      break;
    case 'Warning':
      put('Type', e.alarmType); put('SrcTable', e.srcTable);
      break;
  }
  put('Detail', e.detail);
  return out;
}
