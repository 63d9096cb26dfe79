/**
 * The monitoring store on the embedded SQLite catalog (schema: monitoring-migration.ts). Shares the
 * catalog's connection, so a task's history goes in the same file and with the same durability.
 */
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { Page } from '../catalog-store.ts';
import type {
  AlarmRulePatch, AlarmRuleRecord, EventKind, FolderRecord, LogLine, MetricSample, MonitoringStore, NewAlarmRule,
  NewTaskEvent, TaskEventRecord,
} from '../monitoring-store.ts';

type Row = Record<string, any>;

const SAMPLE_COLUMNS = `task_id, resolution, ts, instance_id, records_read, records_written, read_speed, write_speed,
  delay_seconds, dirty_records, cpu_percent, phase, tables_loaded, tables_total, rows_loaded`;
const SAMPLE_VALUES = `@taskId, @resolution, @ts, @instanceId, @recordsRead, @recordsWritten, @readSpeed, @writeSpeed,
  @delaySeconds, @dirtyRecords, @cpuPercent, @phase, @tablesLoaded, @tablesTotal, @rowsLoaded`;

const EVENT_FIELDS: [keyof NewTaskEvent, string][] = [
  ['taskId', 'task_id'], ['instanceId', 'instance_id'], ['kind', 'kind'], ['createdAt', 'created_at'],
  ['alarmType', 'alarm_type'], ['severity', 'severity'], ['status', 'status'], ['channels', 'channels'], ['detail', 'detail'],
  ['failoverMessage', 'failover_message'], ['srcTable', 'src_table'], ['dstTable', 'dst_table'], ['srcSql', 'src_sql'],
  ['dstSql', 'dst_sql'], ['action', 'action'], ['ruleId', 'rule_id'], ['logSeq', 'log_seq'],
];

export class SqliteMonitoringStore implements MonitoringStore {
  constructor(private readonly db: Database.Database) {}

  // ---- metric samples

  async appendMetricSamples(samples: MetricSample[]): Promise<void> {
    if (samples.length === 0) return;
    const insert = this.db.prepare(`INSERT OR REPLACE INTO task_metric_samples(${SAMPLE_COLUMNS}) VALUES (${SAMPLE_VALUES})`);
    const exists = this.db.prepare(`SELECT 1 FROM task_files WHERE id = ?`);
    this.db.transaction(() => {
      // A task deleted since it was sampled has no file any more: skip it instead of failing the batch.
      for (const s of samples) if (exists.get(s.taskId)) insert.run(s);
    }).immediate();
  }
  async listMetricSamples(taskId: number, resolution: number, fromSec: number, toSec: number): Promise<MetricSample[]> {
    return (this.db.prepare(`SELECT * FROM task_metric_samples WHERE task_id = ? AND resolution = ? AND ts BETWEEN ? AND ? ORDER BY ts`)
      .all(taskId, resolution, fromSec, toSec) as Row[]).map(mapSample);
  }
  async lastMetricSample(taskId: number, instanceId: number): Promise<MetricSample | undefined> {
    const r = this.db.prepare(`SELECT * FROM task_metric_samples WHERE task_id = ? AND instance_id = ? ORDER BY resolution, ts DESC LIMIT 1`)
      .get(taskId, instanceId) as Row | undefined;
    return r && mapSample(r);
  }
  async oldMetricSamples(resolution: number, beforeSec: number, limit: number): Promise<MetricSample[]> {
    return (this.db.prepare(`SELECT * FROM task_metric_samples WHERE resolution = ? AND ts < ? ORDER BY task_id, ts LIMIT ?`)
      .all(resolution, beforeSec, limit) as Row[]).map(mapSample);
  }
  async replaceMetricSamples(remove: MetricSample[], insert: MetricSample[]): Promise<void> {
    const del = this.db.prepare(`DELETE FROM task_metric_samples WHERE task_id = ? AND resolution = ? AND ts = ?`);
    const ins = this.db.prepare(`INSERT OR REPLACE INTO task_metric_samples(${SAMPLE_COLUMNS}) VALUES (${SAMPLE_VALUES})`);
    this.db.transaction(() => {
      for (const s of remove) del.run(s.taskId, s.resolution, s.ts);
      for (const s of insert) ins.run(s);
    }).immediate();
  }
  async pruneMetricSamples(beforeSec: number): Promise<number> {
    return this.db.prepare(`DELETE FROM task_metric_samples WHERE ts < ?`).run(beforeSec).changes;
  }

  // ---- events

  async appendEvent(e: NewTaskEvent): Promise<TaskEventRecord> {
    const cols = EVENT_FIELDS.map(([, c]) => c).join(', ');
    const vals = EVENT_FIELDS.map(([k]) => `@${k}`).join(', ');
    const args = Object.fromEntries(EVENT_FIELDS.map(([k]) => [k, e[k] ?? null]));
    const r = this.db.prepare(`INSERT INTO task_events(${cols}) SELECT ${vals} WHERE EXISTS (SELECT 1 FROM task_files WHERE id = @taskId)`).run(args);
    return { ...e, id: r.changes === 1 ? Number(r.lastInsertRowid) : 0 };
  }
  async getEvent(id: number): Promise<TaskEventRecord | undefined> {
    const r = this.db.prepare(`SELECT * FROM task_events WHERE id = ?`).get(id) as Row | undefined;
    return r && mapEvent(r);
  }
  async listEvents(taskId: number, f: { kinds: EventKind[]; fromMs: number; toMs: number }, offset: number, limit: number): Promise<Page<TaskEventRecord>> {
    const kinds = f.kinds.map(() => '?').join(', ') || 'NULL';
    const where = `task_id = ? AND kind IN (${kinds}) AND created_at BETWEEN ? AND ?`;
    const args = [taskId, ...f.kinds, f.fromMs, f.toMs];
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM task_events WHERE ${where}`).get(...args) as Row).n;
    const rows = this.db.prepare(`SELECT * FROM task_events WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...args, limit, offset) as Row[];
    return { total, items: rows.map(mapEvent) };
  }
  async countEvents(taskId: number, kind: EventKind, sinceMs: number): Promise<number> {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM task_events WHERE task_id = ? AND kind = ? AND created_at >= ?`)
      .get(taskId, kind, sinceMs) as Row).n;
  }
  async setAlarmDelivery(id: number, status: 'Success' | 'Fail', detail: string): Promise<void> {
    this.db.prepare(`UPDATE task_events SET status = ?, detail = ? WHERE id = ? AND kind = 'Alarm'`).run(status, detail, id);
  }
  async failUnfinishedAlarms(reason: string): Promise<number> {
    return this.db.prepare(`UPDATE task_events SET status = 'Fail', detail = detail || ? WHERE kind = 'Alarm' AND status IS NULL`).run(`; ${reason}`).changes;
  }
  async lastAlarmNotification(ruleId: number, severity: string): Promise<TaskEventRecord | undefined> {
    const r = this.db.prepare(`SELECT * FROM task_events WHERE rule_id = ? AND severity = ? AND kind = 'Alarm' AND (status IS NULL OR status != 'Silence')
      ORDER BY created_at DESC, id DESC LIMIT 1`).get(ruleId, severity) as Row | undefined;
    return r && mapEvent(r);
  }
  async pruneEvents(beforeMs: number, keepPerTask: number): Promise<number> {
    return this.db.transaction(() => {
      let n = this.db.prepare(`DELETE FROM task_events WHERE created_at < ?`).run(beforeMs).changes;
      const crowded = this.db.prepare(`SELECT task_id FROM task_events GROUP BY task_id HAVING COUNT(*) > ?`).all(keepPerTask) as Row[];
      for (const { task_id } of crowded) {
        n += this.db.prepare(`DELETE FROM task_events WHERE task_id = ? AND id <= (
          SELECT id FROM task_events WHERE task_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`).run(task_id, task_id, keepPerTask).changes;
      }
      return n;
    }).immediate();
  }

  // ---- logs

  async appendLogLines(lines: LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    const insert = this.db.prepare(`INSERT OR REPLACE INTO task_log_lines(instance_id, seq, task_id, ts, level, text)
      SELECT @instanceId, @seq, @taskId, @ts, @level, @text WHERE EXISTS (SELECT 1 FROM task_files WHERE id = @taskId)`);
    this.db.transaction(() => { for (const l of lines) insert.run(l); }).immediate();
  }
  async readLogLines(instanceId: number, fromSeq: number, offset: number, limit: number): Promise<LogLine[]> {
    return (this.db.prepare(`SELECT * FROM task_log_lines WHERE instance_id = ? AND seq >= ? ORDER BY seq LIMIT ? OFFSET ?`)
      .all(instanceId, fromSeq, limit, offset) as Row[]).map((r) => ({ instanceId: r.instance_id, seq: r.seq, taskId: r.task_id, ts: r.ts, level: r.level, text: r.text }));
  }
  async logSeqBefore(instanceId: number, seq: number, back: number): Promise<number> {
    const r = this.db.prepare(`SELECT seq FROM task_log_lines WHERE instance_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1 OFFSET ?`)
      .get(instanceId, seq, back) as Row | undefined;
    return r ? r.seq : 0;
  }
  async pruneLogs(keepLines: number, keepInstances: number, beforeMs: number): Promise<number> {
    return this.db.transaction(() => {
      let n = 0;
      const instances = this.db.prepare(`SELECT task_id, instance_id, MAX(ts) AS newest, COUNT(*) AS lines
        FROM task_log_lines GROUP BY task_id, instance_id ORDER BY task_id, instance_id DESC`).all() as Row[];
      const dropAll = this.db.prepare(`DELETE FROM task_log_lines WHERE instance_id = ?`);
      const dropOldest = this.db.prepare(`DELETE FROM task_log_lines WHERE instance_id = @i AND seq <= (
        SELECT seq FROM task_log_lines WHERE instance_id = @i ORDER BY seq DESC LIMIT 1 OFFSET @keep)`);
      let task = -1;
      let rank = 0;
      for (const i of instances) {
        rank = i.task_id === task ? rank + 1 : 0;
        task = i.task_id;
        if (rank >= keepInstances || i.newest < beforeMs) n += dropAll.run(i.instance_id).changes;
        else if (i.lines > keepLines) n += dropOldest.run({ i: i.instance_id, keep: keepLines }).changes;
      }
      return n;
    }).immediate();
  }
  async latestLogInstance(taskId: number): Promise<number | undefined> {
    const r = this.db.prepare(`SELECT MAX(instance_id) AS i FROM task_log_lines WHERE task_id = ?`).get(taskId) as Row;
    return r.i ?? undefined;
  }

  // ---- alarm rules

  async createAlarmRule(r: NewAlarmRule): Promise<AlarmRuleRecord> {
    const now = Date.now();
    const res = this.db.prepare(`INSERT INTO alarm_rules(task_id, name, description, enabled, metric_type, notification_settings,
      trigger_conditions, client_token, created_at, updated_at, created_uid, updated_uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(r.taskId, r.name, r.description, r.enabled ? 1 : 0, r.metricType, JSON.stringify(r.notificationSettings),
        JSON.stringify(r.triggerConditions), r.clientToken, now, now, r.createdUid, r.createdUid);
    return { ...r, id: Number(res.lastInsertRowid), createdAt: now, updatedAt: now, updatedUid: r.createdUid };
  }
  async getAlarmRule(id: number): Promise<AlarmRuleRecord | undefined> {
    const r = this.db.prepare(`SELECT * FROM alarm_rules WHERE id = ?`).get(id) as Row | undefined;
    return r && mapRule(r);
  }
  async findAlarmRuleByClientToken(taskId: number, token: string): Promise<AlarmRuleRecord | undefined> {
    const r = this.db.prepare(`SELECT * FROM alarm_rules WHERE task_id = ? AND client_token = ?`).get(taskId, token) as Row | undefined;
    return r && mapRule(r);
  }
  async listAlarmRules(taskId: number, offset: number, limit: number): Promise<Page<AlarmRuleRecord>> {
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM alarm_rules WHERE task_id = ?`).get(taskId) as Row).n;
    const rows = this.db.prepare(`SELECT * FROM alarm_rules WHERE task_id = ? ORDER BY id LIMIT ? OFFSET ?`).all(taskId, limit, offset) as Row[];
    return { total, items: rows.map(mapRule) };
  }
  async listEnabledAlarmRules(): Promise<AlarmRuleRecord[]> {
    return (this.db.prepare(`SELECT * FROM alarm_rules WHERE enabled = 1 ORDER BY id`).all() as Row[]).map(mapRule);
  }
  async updateAlarmRule(id: number, p: AlarmRulePatch, uid: string): Promise<void> {
    const sets = ['updated_at = @now', 'updated_uid = @uid'];
    const args: Record<string, unknown> = { id, now: Date.now(), uid };
    const put = (col: string, value: unknown) => { sets.push(`${col} = @${col}`); args[col] = value; };
    if (p.name !== undefined) put('name', p.name);
    if (p.description !== undefined) put('description', p.description);
    if (p.enabled !== undefined) put('enabled', p.enabled ? 1 : 0);
    if (p.metricType !== undefined) put('metric_type', p.metricType);
    if (p.notificationSettings !== undefined) put('notification_settings', JSON.stringify(p.notificationSettings));
    if (p.triggerConditions !== undefined) put('trigger_conditions', JSON.stringify(p.triggerConditions));
    this.db.prepare(`UPDATE alarm_rules SET ${sets.join(', ')} WHERE id = @id`).run(args);
  }
  async deleteAlarmRule(id: number): Promise<void> {
    this.db.prepare(`DELETE FROM alarm_rules WHERE id = ?`).run(id);
  }

  async deleteTaskHistory(taskId: number): Promise<void> {
    this.db.transaction(() => {
      for (const table of ['task_metric_samples', 'task_events', 'task_log_lines', 'alarm_rules']) {
        this.db.prepare(`DELETE FROM ${table} WHERE task_id = ?`).run(taskId);
      }
    }).immediate();
  }

  // ---- folders and workspace DDL defaults

  async createFolder(projectId: number, path: string): Promise<FolderRecord> {
    const rec = { id: randomBytes(8).toString('hex'), projectId, path, createdAt: Date.now() };
    this.db.prepare(`INSERT INTO folders(id, project_id, path, created_at) VALUES (?, ?, ?, ?)`).run(rec.id, projectId, path, rec.createdAt);
    return rec;
  }
  async findFolder(projectId: number, path: string): Promise<FolderRecord | undefined> {
    const r = this.db.prepare(`SELECT * FROM folders WHERE project_id = ? AND path = ?`).get(projectId, path) as Row | undefined;
    return r && { id: r.id, projectId: r.project_id, path: r.path, createdAt: r.created_at };
  }
  async getProjectDdlConfig(projectId: number, sourceType: string, destinationType: string): Promise<string | undefined> {
    const r = this.db.prepare(`SELECT config FROM di_project_config WHERE project_id = ? AND source_type = ? AND destination_type = ?`)
      .get(projectId, sourceType, destinationType) as Row | undefined;
    return r?.config;
  }
  async putProjectDdlConfig(projectId: number, sourceType: string, destinationType: string, config: string): Promise<void> {
    this.db.prepare(`INSERT INTO di_project_config(project_id, source_type, destination_type, config, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(project_id, source_type, destination_type) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`)
      .run(projectId, sourceType, destinationType, config, Date.now());
  }
  async createdAt(): Promise<number> {
    const r = this.db.prepare(`SELECT value FROM meta WHERE key = 'created_at'`).get() as Row | undefined;
    return r ? Number(r.value) : Date.now();
  }
}

function mapSample(r: Row): MetricSample {
  return {
    taskId: r.task_id, instanceId: r.instance_id, ts: r.ts, resolution: r.resolution, recordsRead: r.records_read,
    recordsWritten: r.records_written, readSpeed: r.read_speed, writeSpeed: r.write_speed, delaySeconds: r.delay_seconds,
    dirtyRecords: r.dirty_records, cpuPercent: r.cpu_percent, phase: r.phase, tablesLoaded: r.tables_loaded,
    tablesTotal: r.tables_total, rowsLoaded: r.rows_loaded,
  };
}

function mapEvent(r: Row): TaskEventRecord {
  const out = { id: r.id } as TaskEventRecord;
  for (const [k, c] of EVENT_FIELDS) (out as unknown as Record<string, unknown>)[k] = r[c];
  return out;
}

function mapRule(r: Row): AlarmRuleRecord {
  return {
    id: r.id, taskId: r.task_id, name: r.name, description: r.description, enabled: r.enabled === 1, metricType: r.metric_type,
    notificationSettings: JSON.parse(r.notification_settings), triggerConditions: JSON.parse(r.trigger_conditions),
    clientToken: r.client_token, createdAt: r.created_at, updatedAt: r.updated_at, createdUid: r.created_uid, updatedUid: r.updated_uid,
  };
}
