/**
 * The monitoring port (../monitoring-store.ts) in portable SQL over the catalog's driver, so a
 * task's history lives in the same database as the task (SQLite file or PostgreSQL catalog).
 * Rows keyed by a task are written only while its file exists: the file row is checked in the
 * same transaction (FOR KEY SHARE on PostgreSQL keeps a concurrent delete from slipping between).
 */
import { randomBytes } from 'node:crypto';
import type { Page } from '../catalog-store.ts';
import type {
  AlarmRulePatch, AlarmRuleRecord, EventKind, FolderRecord, LogLine, MetricSample, MonitoringStore, NewAlarmRule,
  NewTaskEvent, TaskEventRecord,
} from '../monitoring-store.ts';
import type { Row, SqlDriver, SqlExec } from './sql-driver.ts';
import { selectPage } from './select-page.ts';

const SAMPLE_FIELDS: [keyof MetricSample, string][] = [
  ['taskId', 'task_id'], ['resolution', 'resolution'], ['ts', 'ts'], ['instanceId', 'instance_id'], ['recordsRead', 'records_read'],
  ['recordsWritten', 'records_written'], ['readSpeed', 'read_speed'], ['writeSpeed', 'write_speed'], ['delaySeconds', 'delay_seconds'],
  ['dirtyRecords', 'dirty_records'], ['cpuPercent', 'cpu_percent'], ['phase', 'phase'], ['tablesLoaded', 'tables_loaded'],
  ['tablesTotal', 'tables_total'], ['rowsLoaded', 'rows_loaded'],
];
const UPSERT_SAMPLE = `INSERT INTO task_metric_samples(${SAMPLE_FIELDS.map(([, c]) => c).join(', ')}) VALUES (${SAMPLE_FIELDS.map(() => '?').join(', ')})
  ON CONFLICT(task_id, resolution, ts) DO UPDATE SET ${SAMPLE_FIELDS.slice(3).map(([, c]) => `${c} = excluded.${c}`).join(', ')}`;

const EVENT_FIELDS: [keyof NewTaskEvent, string][] = [
  ['taskId', 'task_id'], ['instanceId', 'instance_id'], ['kind', 'kind'], ['createdAt', 'created_at'],
  ['alarmType', 'alarm_type'], ['severity', 'severity'], ['status', 'status'], ['channels', 'channels'], ['detail', 'detail'],
  ['failoverMessage', 'failover_message'], ['srcTable', 'src_table'], ['dstTable', 'dst_table'], ['srcSql', 'src_sql'],
  ['dstSql', 'dst_sql'], ['action', 'action'], ['ruleId', 'rule_id'], ['logSeq', 'log_seq'],
];
const INSERT_EVENT = `INSERT INTO task_events(${EVENT_FIELDS.map(([, c]) => c).join(', ')}) VALUES (${EVENT_FIELDS.map(() => '?').join(', ')}) RETURNING id`;
const UPSERT_LOG = `INSERT INTO task_log_lines(instance_id, seq, task_id, ts, level, text) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT(instance_id, seq) DO UPDATE SET task_id = excluded.task_id, ts = excluded.ts, level = excluded.level, text = excluded.text`;

export class SqlMonitoringStore implements MonitoringStore {
  constructor(private readonly db: SqlDriver) {}

  /** The task's file exists (and, on PostgreSQL, stays until the transaction ends). */
  private async fileExists(tx: SqlExec, taskId: number, cache: Map<number, boolean>): Promise<boolean> {
    let found = cache.get(taskId);
    if (found === undefined) {
      found = (await tx.query(`SELECT id FROM task_files WHERE id = ?${this.db.dialect.forKeyShare}`, [taskId])).length > 0;
      cache.set(taskId, found);
    }
    return found;
  }

  // ---- metric samples

  async appendMetricSamples(samples: MetricSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.db.transaction(async (tx) => {
      const files = new Map<number, boolean>();
      // A task deleted since it was sampled has no file any more: skip it instead of failing the batch.
      for (const s of samples) if (await this.fileExists(tx, s.taskId, files)) await tx.run(UPSERT_SAMPLE, SAMPLE_FIELDS.map(([k]) => s[k]));
    });
  }
  async listMetricSamples(taskId: number, resolution: number, fromSec: number, toSec: number): Promise<MetricSample[]> {
    return (await this.db.query(`SELECT * FROM task_metric_samples WHERE task_id = ? AND resolution = ? AND ts BETWEEN ? AND ? ORDER BY ts`,
      [taskId, resolution, fromSec, toSec])).map(mapSample);
  }
  async lastMetricSample(taskId: number, instanceId: number): Promise<MetricSample | undefined> {
    const [r] = await this.db.query(`SELECT * FROM task_metric_samples WHERE task_id = ? AND instance_id = ? ORDER BY resolution, ts DESC LIMIT 1`, [taskId, instanceId]);
    return r && mapSample(r);
  }
  async oldMetricSamples(resolution: number, beforeSec: number, limit: number): Promise<MetricSample[]> {
    return (await this.db.query(`SELECT * FROM task_metric_samples WHERE resolution = ? AND ts < ? ORDER BY task_id, ts LIMIT ?`,
      [resolution, beforeSec, limit])).map(mapSample);
  }
  async replaceMetricSamples(remove: MetricSample[], insert: MetricSample[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const s of remove) await tx.run(`DELETE FROM task_metric_samples WHERE task_id = ? AND resolution = ? AND ts = ?`, [s.taskId, s.resolution, s.ts]);
      const files = new Map<number, boolean>();
      for (const s of insert) if (await this.fileExists(tx, s.taskId, files)) await tx.run(UPSERT_SAMPLE, SAMPLE_FIELDS.map(([k]) => s[k]));
    });
  }
  async pruneMetricSamples(beforeSec: number): Promise<number> {
    return this.db.run(`DELETE FROM task_metric_samples WHERE ts < ?`, [beforeSec]);
  }

  // ---- events

  async appendEvent(e: NewTaskEvent): Promise<TaskEventRecord> {
    const id = await this.db.transaction(async (tx) => {
      if (!await this.fileExists(tx, e.taskId, new Map())) return 0;
      return (await tx.query(INSERT_EVENT, EVENT_FIELDS.map(([k]) => e[k] ?? null)))[0].id as number;
    });
    return { ...e, id };
  }
  async getEvent(id: number): Promise<TaskEventRecord | undefined> {
    const [r] = await this.db.query(`SELECT * FROM task_events WHERE id = ?`, [id]);
    return r && mapEvent(r);
  }
  async listEvents(taskId: number, f: { kinds: EventKind[]; fromMs: number; toMs: number }, offset: number, limit: number): Promise<Page<TaskEventRecord>> {
    const kinds = f.kinds.map(() => '?').join(', ') || 'NULL';
    const where = `task_id = ? AND kind IN (${kinds}) AND created_at BETWEEN ? AND ?`;
    const args = [taskId, ...f.kinds, f.fromMs, f.toMs];
    const { total, rows } = await selectPage(this.db, '*', `FROM task_events WHERE ${where}`, 'created_at DESC, id DESC', args, offset, limit);
    return { total, items: rows.map(mapEvent) };
  }
  async countEvents(taskId: number, kind: EventKind, sinceMs: number): Promise<number> {
    return (await this.db.query(`SELECT COUNT(*) AS n FROM task_events WHERE task_id = ? AND kind = ? AND created_at >= ?`, [taskId, kind, sinceMs]))[0].n;
  }
  async setAlarmDelivery(id: number, status: 'Success' | 'Fail', detail: string): Promise<void> {
    await this.db.run(`UPDATE task_events SET status = ?, detail = ? WHERE id = ? AND kind = 'Alarm'`, [status, detail, id]);
  }
  async failUnfinishedAlarms(reason: string): Promise<number> {
    return this.db.run(`UPDATE task_events SET status = 'Fail', detail = detail || ? WHERE kind = 'Alarm' AND status IS NULL`, [`; ${reason}`]);
  }
  async lastAlarmNotification(ruleId: number, severity: string): Promise<TaskEventRecord | undefined> {
    const [r] = await this.db.query(`SELECT * FROM task_events WHERE rule_id = ? AND severity = ? AND kind = 'Alarm' AND (status IS NULL OR status <> 'Silence')
      ORDER BY created_at DESC, id DESC LIMIT 1`, [ruleId, severity]);
    return r && mapEvent(r);
  }
  async pruneEvents(beforeMs: number, keepPerTask: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      let n = await tx.run(`DELETE FROM task_events WHERE created_at < ?`, [beforeMs]);
      for (const { task_id } of await tx.query(`SELECT task_id FROM task_events GROUP BY task_id HAVING COUNT(*) > ?`, [keepPerTask])) {
        n += await tx.run(`DELETE FROM task_events WHERE task_id = ? AND id <= (
          SELECT id FROM task_events WHERE task_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, [task_id, task_id, keepPerTask]);
      }
      return n;
    });
  }

  // ---- logs

  async appendLogLines(lines: LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db.transaction(async (tx) => {
      const files = new Map<number, boolean>();
      for (const l of lines) if (await this.fileExists(tx, l.taskId, files)) await tx.run(UPSERT_LOG, [l.instanceId, l.seq, l.taskId, l.ts, l.level, l.text]);
    });
  }
  async readLogLines(instanceId: number, fromSeq: number, offset: number, limit: number): Promise<LogLine[]> {
    return (await this.db.query(`SELECT * FROM task_log_lines WHERE instance_id = ? AND seq >= ? ORDER BY seq LIMIT ? OFFSET ?`, [instanceId, fromSeq, limit, offset]))
      .map((r) => ({ instanceId: r.instance_id, seq: r.seq, taskId: r.task_id, ts: r.ts, level: r.level, text: r.text }));
  }
  async logSeqBefore(instanceId: number, seq: number, back: number): Promise<number> {
    const [r] = await this.db.query(`SELECT seq FROM task_log_lines WHERE instance_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1 OFFSET ?`, [instanceId, seq, back]);
    return r ? r.seq : 0;
  }
  async pruneLogs(keepLines: number, keepInstances: number, beforeMs: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      let n = 0;
      const instances = await tx.query(`SELECT task_id, instance_id, MAX(ts) AS newest, COUNT(*) AS lines
        FROM task_log_lines GROUP BY task_id, instance_id ORDER BY task_id, instance_id DESC`);
      let task = -1;
      let rank = 0;
      for (const i of instances) {
        rank = i.task_id === task ? rank + 1 : 0;
        task = i.task_id;
        if (rank >= keepInstances || i.newest < beforeMs) n += await tx.run(`DELETE FROM task_log_lines WHERE instance_id = ?`, [i.instance_id]);
        else if (i.lines > keepLines) {
          n += await tx.run(`DELETE FROM task_log_lines WHERE instance_id = ? AND seq <= (
            SELECT seq FROM task_log_lines WHERE instance_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`, [i.instance_id, i.instance_id, keepLines]);
        }
      }
      return n;
    });
  }
  async latestLogInstance(taskId: number): Promise<number | undefined> {
    const [r] = await this.db.query(`SELECT MAX(instance_id) AS i FROM task_log_lines WHERE task_id = ?`, [taskId]);
    return r.i ?? undefined;
  }

  // ---- alarm rules

  async createAlarmRule(r: NewAlarmRule): Promise<AlarmRuleRecord> {
    const now = Date.now();
    const [row] = await this.db.query(`INSERT INTO alarm_rules(task_id, name, description, enabled, metric_type, notification_settings,
      trigger_conditions, client_token, created_at, updated_at, created_uid, updated_uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [r.taskId, r.name, r.description, r.enabled ? 1 : 0, r.metricType, JSON.stringify(r.notificationSettings),
      JSON.stringify(r.triggerConditions), r.clientToken, now, now, r.createdUid, r.createdUid]);
    return { ...r, id: row.id, createdAt: now, updatedAt: now, updatedUid: r.createdUid };
  }
  async getAlarmRule(id: number): Promise<AlarmRuleRecord | undefined> {
    const [r] = await this.db.query(`SELECT * FROM alarm_rules WHERE id = ?`, [id]);
    return r && mapRule(r);
  }
  async findAlarmRuleByClientToken(taskId: number, token: string): Promise<AlarmRuleRecord | undefined> {
    const [r] = await this.db.query(`SELECT * FROM alarm_rules WHERE task_id = ? AND client_token = ?`, [taskId, token]);
    return r && mapRule(r);
  }
  async listAlarmRules(taskId: number, offset: number, limit: number): Promise<Page<AlarmRuleRecord>> {
    const { total, rows } = await selectPage(this.db, '*', 'FROM alarm_rules WHERE task_id = ?', 'id', [taskId], offset, limit);
    return { total, items: rows.map(mapRule) };
  }
  async listEnabledAlarmRules(): Promise<AlarmRuleRecord[]> {
    return (await this.db.query(`SELECT * FROM alarm_rules WHERE enabled = 1 ORDER BY id`)).map(mapRule);
  }
  async updateAlarmRule(id: number, p: AlarmRulePatch, uid: string): Promise<void> {
    const sets = ['updated_at = ?', 'updated_uid = ?'];
    const args: unknown[] = [Date.now(), uid];
    const put = (col: string, value: unknown) => { sets.push(`${col} = ?`); args.push(value); };
    if (p.name !== undefined) put('name', p.name);
    if (p.description !== undefined) put('description', p.description);
    if (p.enabled !== undefined) put('enabled', p.enabled ? 1 : 0);
    if (p.metricType !== undefined) put('metric_type', p.metricType);
    if (p.notificationSettings !== undefined) put('notification_settings', JSON.stringify(p.notificationSettings));
    if (p.triggerConditions !== undefined) put('trigger_conditions', JSON.stringify(p.triggerConditions));
    await this.db.run(`UPDATE alarm_rules SET ${sets.join(', ')} WHERE id = ?`, [...args, id]);
  }
  async deleteAlarmRule(id: number): Promise<void> {
    await this.db.run(`DELETE FROM alarm_rules WHERE id = ?`, [id]);
  }

  async deleteTaskHistory(taskId: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const table of ['task_metric_samples', 'task_events', 'task_log_lines', 'alarm_rules']) {
        await tx.run(`DELETE FROM ${table} WHERE task_id = ?`, [taskId]);
      }
    });
  }

  // ---- folders and workspace DDL defaults

  async createFolder(projectId: number, path: string): Promise<FolderRecord> {
    const rec = { id: randomBytes(8).toString('hex'), projectId, path, createdAt: Date.now() };
    await this.db.run(`INSERT INTO folders(id, project_id, path, created_at) VALUES (?, ?, ?, ?)`, [rec.id, projectId, path, rec.createdAt]);
    return rec;
  }
  async findFolder(projectId: number, path: string): Promise<FolderRecord | undefined> {
    const [r] = await this.db.query(`SELECT * FROM folders WHERE project_id = ? AND path = ?`, [projectId, path]);
    return r && { id: r.id, projectId: r.project_id, path: r.path, createdAt: r.created_at };
  }
  async getProjectDdlConfig(projectId: number, sourceType: string, destinationType: string): Promise<string | undefined> {
    const [r] = await this.db.query(`SELECT config FROM di_project_config WHERE project_id = ? AND source_type = ? AND destination_type = ?`,
      [projectId, sourceType, destinationType]);
    return r?.config;
  }
  async putProjectDdlConfig(projectId: number, sourceType: string, destinationType: string, config: string): Promise<void> {
    await this.db.run(`INSERT INTO di_project_config(project_id, source_type, destination_type, config, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(project_id, source_type, destination_type) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
    [projectId, sourceType, destinationType, config, Date.now()]);
  }
  async createdAt(): Promise<number> {
    const [r] = await this.db.query(`SELECT value FROM meta WHERE key = 'created_at'`);
    return r ? Number(r.value) : Date.now();
  }
}

function mapSample(r: Row): MetricSample {
  const out = {} as Record<string, unknown>;
  for (const [k, c] of SAMPLE_FIELDS) out[k] = r[c];
  return out as unknown as MetricSample;
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
