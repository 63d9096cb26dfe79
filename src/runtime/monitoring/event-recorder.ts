/**
 * Appends to a task's event log (ListDIJobEvents): failovers with the error that caused them,
 * schema changes with their SQL and ddlMarkMap outcome, dirty rows past a threshold (coalesced to
 * at most one event a minute per task), warnings from the engine, status changes, and alarms.
 * Appends are queued in order and never block the caller; a failed append is logged, not thrown.
 * Listeners (the alarm engine) hear of each event once it is stored.
 */
import type { Logger } from '../../logger.ts';
import type { EngineEvent } from '../../engine/pipeline.ts';
import type { MonitoringStore, NewTaskEvent, TaskEventRecord } from '../../store/monitoring-store.ts';
import type { InstanceLogWriter } from './instance-log.ts';

const DIRTY_EVENT_GAP_MS = 60_000;
const MAX_TEXT = 8_000;

/** ddlMarkMap marks as the API's DDL event Action values. */
const ACTION: Record<string, string> = { NORMAL: 'Normal', IGNORE: 'Ignore', WARNING: 'Warning', CRITICAL: 'Critical' };

interface DirtyTally { taskId: number; instanceId: number; count: number; total: number; last: string; lastEventAt: number; timer?: NodeJS.Timeout }

export class EventRecorder {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly dirty = new Map<number, DirtyTally>();
  private readonly listeners: ((e: TaskEventRecord) => void)[] = [];

  constructor(
    private readonly store: MonitoringStore, private readonly log: InstanceLogWriter, private readonly logger: Logger,
    private readonly dirtyThreshold: number,
  ) {}

  onEvent(listener: (e: TaskEventRecord) => void): void { this.listeners.push(listener); }

  /** Resolves once everything appended so far is stored. */
  drain(): Promise<void> {
    for (const t of this.dirty.values()) if (t.timer) { clearTimeout(t.timer); this.flushDirty(t); }
    return this.chain.then(() => undefined);
  }

  engineEvent(taskId: number, instanceId: number, ev: EngineEvent): void {
    switch (ev.type) {
      case 'ddl': {
        const action = ACTION[ev.action] ?? ev.action;
        this.log.write(taskId, ev.action === 'WARNING' || ev.action === 'CRITICAL' ? 'warn' : 'info',
          `schema change ${ev.ddlType} on ${ev.sourceTable}: ${action}`, { sql: ev.sourceSql ?? undefined, targetSql: ev.targetSql.length ? ev.targetSql : undefined });
        this.append({
          taskId, instanceId, kind: 'DDL', createdAt: Date.now(), alarmType: ev.ddlType, srcTable: ev.sourceTable, dstTable: ev.targetTable,
          srcSql: cut(ev.sourceSql), dstSql: cut(ev.targetSql.join(';\n') || null), action,
          detail: cut(ev.detail ?? `${ev.ddlType} on ${ev.sourceTable}: ${describeAction(ev.action)}`),
        });
        break;
      }
      case 'dirty':
        this.tallyDirty(taskId, instanceId, ev.count, ev.totalDirty, `${ev.table}: ${ev.error}`);
        break;
      case 'warning':
        this.append({ taskId, instanceId, kind: 'Warning', createdAt: Date.now(), alarmType: ev.code, srcTable: ev.table ?? null, detail: cut(`${ev.code}: ${ev.detail}`) });
        break;
    }
  }

  failover(taskId: number, instanceId: number, error: string, detail: string, logSeq: number | undefined): void {
    this.append({ taskId, instanceId, kind: 'Failover', createdAt: Date.now(), failoverMessage: cut(error), detail, logSeq: logSeq ?? null });
  }

  statusChange(taskId: number, instanceId: number, from: string, to: string, message: string | null): void {
    this.log.write(taskId, to === 'FAILED' ? 'error' : 'info', `status ${from} -> ${to}`, message ? { message } : {});
    this.append({ taskId, instanceId, kind: 'Status', createdAt: Date.now(), status: to, detail: cut(`${from} -> ${to}${message ? `: ${message}` : ''}`) });
  }

  /** Resolves with the stored alarm event. */
  alarm(e: Omit<NewTaskEvent, 'kind'>): Promise<TaskEventRecord> {
    return this.append({ ...e, kind: 'Alarm' });
  }

  private append(e: NewTaskEvent): Promise<TaskEventRecord> {
    const stored = this.chain.then(() => this.store.appendEvent(e));
    this.chain = stored.then((rec) => {
      if (rec.id === 0) return; // the task is gone
      for (const l of this.listeners) {
        try { l(rec); } catch (err) { this.logger.error('event listener failed', { error: err }); }
      }
    }).catch((err) => this.logger.error('could not record a task event', { taskId: e.taskId, kind: e.kind, error: err }));
    return stored;
  }

  private tallyDirty(taskId: number, instanceId: number, count: number, total: number, last: string): void {
    const t = this.dirty.get(taskId) ?? { taskId, instanceId, count: 0, total: 0, last: '', lastEventAt: 0 };
    Object.assign(t, { instanceId, count: t.count + count, total, last });
    this.dirty.set(taskId, t);
    if (t.count < this.dirtyThreshold || t.timer) return;
    const wait = t.lastEventAt + DIRTY_EVENT_GAP_MS - Date.now();
    if (wait <= 0) this.flushDirty(t);
    else t.timer = setTimeout(() => this.flushDirty(t), wait);
  }

  private flushDirty(t: DirtyTally): void {
    t.timer = undefined;
    if (t.count === 0) return;
    this.append({
      taskId: t.taskId, instanceId: t.instanceId, kind: 'Dirty', createdAt: Date.now(),
      detail: cut(`${t.count} rows rejected by the target (dirty records) since the last report; ${t.total} kept in total; the last: ${t.last}`),
    });
    t.count = 0;
    t.lastEventAt = Date.now();
  }
}

function describeAction(mark: string): string {
  switch (mark) {
    case 'NORMAL': return 'applied to the target';
    case 'IGNORE': return 'ignored (ddlMarkMap IGNORE)';
    case 'WARNING': return 'skipped with an alert (ddlMarkMap WARNING)';
    case 'CRITICAL': return 'the task stopped (ddlMarkMap CRITICAL)';
    default: return mark;
  }
}

function cut(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}
