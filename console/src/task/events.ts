/**
 * A task's events (ListDIJobEvents, 2024-05-18): one call per EventType, merged newest first. The
 * cloud documents Failover, Alarm and DDL; OpenDI also records Dirty, Status and Warning events.
 */
import { ApiError, type ApiClient } from '../api/client.ts';

export const EVENT_TYPES = ['Failover', 'DDL', 'Alarm', 'Dirty', 'Warning', 'Status'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface TaskEvent {
  type: EventType;
  id: string;
  time: number;
  summary: string;
  detail?: string;
  severity?: string;
}

interface WireEvent {
  Id: string; CreateTime: string; Type?: string; Severity?: string; Status?: string; Channels?: string; Detail?: string;
  FailoverMessage?: string; SrcTable?: string; DstTable?: string; SrcSql?: string; DstSql?: string; Action?: string;
}

export function describeEvent(type: EventType, e: WireEvent): TaskEvent {
  const base = { type, id: `${type}-${e.Id}`, time: Number(e.CreateTime) };
  switch (type) {
    case 'Failover':
      return { ...base, summary: 'Failover: the task restarted after an error', detail: e.FailoverMessage ?? e.Detail };
    case 'DDL':
      return { ...base, summary: `DDL ${e.Action ? `(${e.Action})` : ''} on ${e.SrcTable ?? 'a table'}`.replace('  ', ' '), detail: [e.SrcSql, e.DstSql ? `target: ${e.DstSql}` : ''].filter(Boolean).join('\n') || e.Detail };
    case 'Alarm':
      return { ...base, severity: e.Severity, summary: `Alarm ${e.Severity ?? ''} ${e.Type ?? ''}${e.Status ? `, notification ${e.Status}` : ''}`.replace(/\s+/g, ' '), detail: e.Detail };
    case 'Dirty':
      return { ...base, summary: 'Dirty records', detail: e.Detail };
    case 'Warning':
      return { ...base, summary: `Warning${e.SrcTable ? ` on ${e.SrcTable}` : ''}`, detail: e.Detail };
    case 'Status':
      return { ...base, summary: `Status ${e.Status ?? ''}`.trim(), detail: e.Detail };
  }
}

/** True when this build does not serve the action (the console then shows the section as unavailable). */
export function isUnserved(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'InvalidAction.NotFound' || err.code === 'InvalidVersion');
}

export async function listEvents(client: ApiClient, jobId: number, types: readonly EventType[], fromSec: number, toSec: number, pageSize: number, signal?: AbortSignal): Promise<TaskEvent[]> {
  const pages = await Promise.all(types.map((type) => client.call('ListDIJobEvents', {
    DIJobId: jobId, EventType: type, StartTime: fromSec, EndTime: toSec, PageSize: pageSize,
  }, signal).then((r) => ((r.PagingInfo?.DIJobEvent ?? []) as WireEvent[]).map((e) => describeEvent(type, e)))));
  return pages.flat().sort((a, b) => b.time - a.time || b.id.localeCompare(a.id));
}
