/**
 * The monitoring port of the catalog (`CatalogStore.monitoring`): per-task metric samples, the task
 * event log, per-instance log lines, alarm rules, and two small 2020 catalog objects (folders and
 * the workspace DDL defaults). Everything keyed by a task disappears with the task's file; each
 * method is atomic. Contract for growth: appends are bounded by the pruning methods, which the
 * runtime's retention job calls (src/runtime/monitoring/retention.ts).
 */
import type { Page } from './catalog-store.ts';

/** Raw samples (resolution = the sampling interval in seconds) and downsampled ones (60). */
export interface MetricSample {
  taskId: number;
  instanceId: number;
  /** Unix seconds; for a downsampled row, the start of its bucket. */
  ts: number;
  resolution: number;
  /** Cumulative for the instance (continues across failovers and service restarts). */
  recordsRead: number;
  recordsWritten: number;
  /** Records per second since the previous sample; null when there is no previous one. */
  readSpeed: number | null;
  writeSpeed: number | null;
  /** Null outside the incremental phase. */
  delaySeconds: number | null;
  dirtyRecords: number;
  /** The service process's share of the machine's CPU, in percent. */
  cpuPercent: number | null;
  phase: string | null;
  tablesLoaded: number;
  tablesTotal: number;
  rowsLoaded: number;
}

/**
 * What the event log keeps (ListDIJobEvents): `Failover`, `DDL` and `Alarm` are the documented
 * kinds; `Dirty`, `Status` and `Warning` are OpenDI's own.
 */
export const EVENT_KINDS = ['Failover', 'DDL', 'Alarm', 'Dirty', 'Status', 'Warning'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface TaskEventRecord {
  id: number;
  taskId: number;
  instanceId: number;
  kind: EventKind;
  /** Epoch milliseconds. */
  createdAt: number;
  alarmType?: string | null;
  severity?: string | null;
  status?: string | null;
  channels?: string | null;
  detail?: string | null;
  failoverMessage?: string | null;
  srcTable?: string | null;
  dstTable?: string | null;
  srcSql?: string | null;
  dstSql?: string | null;
  action?: string | null;
  ruleId?: number | null;
  /** The instance log's line number at the time of the event (GetDIJobLog FailoverId). */
  logSeq?: number | null;
}
export type NewTaskEvent = Omit<TaskEventRecord, 'id'>;

/** `seq` grows strictly within an instance (not contiguous: see instance-log.ts). */
export interface LogLine { instanceId: number; seq: number; taskId: number; ts: number; level: string; text: string }

export interface AlarmRuleRecord {
  id: number;
  taskId: number;
  name: string;
  description: string;
  enabled: boolean;
  metricType: string;
  /** Stored as given (validated), so the API round-trips it. */
  notificationSettings: Record<string, unknown>;
  triggerConditions: Record<string, unknown>[];
  clientToken: string | null;
  createdAt: number;
  updatedAt: number;
  createdUid: string;
  updatedUid: string;
}
export type NewAlarmRule = Omit<AlarmRuleRecord, 'id' | 'createdAt' | 'updatedAt' | 'updatedUid'>;
export type AlarmRulePatch = Partial<Pick<AlarmRuleRecord, 'name' | 'description' | 'enabled' | 'metricType' | 'notificationSettings' | 'triggerConditions'>>;

export interface FolderRecord { id: string; projectId: number; path: string; createdAt: number }

export interface MonitoringStore {
  appendMetricSamples(samples: MetricSample[]): Promise<void>;
  /** Samples of one resolution with from <= ts <= to, oldest first. */
  listMetricSamples(taskId: number, resolution: number, fromSec: number, toSec: number): Promise<MetricSample[]>;
  /** The newest sample of an instance (to continue its totals after a restart). */
  lastMetricSample(taskId: number, instanceId: number): Promise<MetricSample | undefined>;
  /** Raw samples (of `resolution`) older than `beforeSec`, oldest first, at most `limit`. */
  oldMetricSamples(resolution: number, beforeSec: number, limit: number): Promise<MetricSample[]>;
  /** Inserts downsampled rows and deletes the raw rows they replace, in one transaction. */
  replaceMetricSamples(remove: MetricSample[], insert: MetricSample[]): Promise<void>;
  pruneMetricSamples(beforeSec: number): Promise<number>;

  appendEvent(e: NewTaskEvent): Promise<TaskEventRecord>;
  getEvent(id: number): Promise<TaskEventRecord | undefined>;
  /** Newest first. */
  listEvents(taskId: number, filter: { kinds: EventKind[]; fromMs: number; toMs: number }, offset: number, limit: number): Promise<Page<TaskEventRecord>>;
  countEvents(taskId: number, kind: EventKind, sinceMs: number): Promise<number>;
  /** Sets an Alarm event's delivery outcome once its notifications are done. */
  setAlarmDelivery(id: number, status: 'Success' | 'Fail', detail: string): Promise<void>;
  /** Alarm events whose delivery never finished (the service stopped meanwhile) become Fail. */
  failUnfinishedAlarms(reason: string): Promise<number>;
  /** The newest notified (being sent or sent, not muted) Alarm event of a rule and severity. */
  lastAlarmNotification(ruleId: number, severity: string): Promise<TaskEventRecord | undefined>;
  /** Deletes events older than `beforeMs` and, per task, all but the newest `keepPerTask`. */
  pruneEvents(beforeMs: number, keepPerTask: number): Promise<number>;

  appendLogLines(lines: LogLine[]): Promise<void>;
  /** Lines of an instance with seq >= fromSeq, in order, skipping `offset`, at most `limit`. */
  readLogLines(instanceId: number, fromSeq: number, offset: number, limit: number): Promise<LogLine[]>;
  /** The seq `back` lines before (or at) `seq` in an instance's log; 0 when there are fewer. */
  logSeqBefore(instanceId: number, seq: number, back: number): Promise<number>;
  /** The newest instance of a task that has log lines. */
  latestLogInstance(taskId: number): Promise<number | undefined>;
  /**
   * Keeps at most `keepLines` lines per instance, at most `keepInstances` instances per task, and
   * nothing whose newest line is older than `beforeMs`.
   */
  pruneLogs(keepLines: number, keepInstances: number, beforeMs: number): Promise<number>;

  createAlarmRule(r: NewAlarmRule): Promise<AlarmRuleRecord>;
  getAlarmRule(id: number): Promise<AlarmRuleRecord | undefined>;
  findAlarmRuleByClientToken(taskId: number, token: string): Promise<AlarmRuleRecord | undefined>;
  listAlarmRules(taskId: number, offset: number, limit: number): Promise<Page<AlarmRuleRecord>>;
  listEnabledAlarmRules(): Promise<AlarmRuleRecord[]>;
  updateAlarmRule(id: number, patch: AlarmRulePatch, uid: string): Promise<void>;
  deleteAlarmRule(id: number): Promise<void>;

  /** Drops a task's samples, events, log lines and alarm rules (DeleteDIJob; deleting the file does it too). */
  deleteTaskHistory(taskId: number): Promise<void>;

  createFolder(projectId: number, path: string): Promise<FolderRecord>;
  findFolder(projectId: number, path: string): Promise<FolderRecord | undefined>;
  /** The stored ddlMarkMap JSON of a workspace for (source, destination); '' source = any source. */
  getProjectDdlConfig(projectId: number, sourceType: string, destinationType: string): Promise<string | undefined>;
  putProjectDdlConfig(projectId: number, sourceType: string, destinationType: string, config: string): Promise<void>;
  /** When this installation's catalog was created (epoch ms). */
  createdAt(): Promise<number>;
}
