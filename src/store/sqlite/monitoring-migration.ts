/**
 * The SQLite schema of the monitoring store (src/store/monitoring-store.ts), one migration entry of
 * migrations.ts. Samples and log lines are WITHOUT ROWID tables clustered by their natural key, so
 * a range read for one task or instance touches contiguous pages and a sample costs one row.
 */
export const MONITORING_MIGRATION = `
  CREATE TABLE task_metric_samples (
    task_id INTEGER NOT NULL REFERENCES task_files(id) ON DELETE CASCADE,
    resolution INTEGER NOT NULL, ts INTEGER NOT NULL, instance_id INTEGER NOT NULL,
    records_read INTEGER NOT NULL, records_written INTEGER NOT NULL,
    read_speed REAL, write_speed REAL, delay_seconds REAL, dirty_records INTEGER NOT NULL,
    cpu_percent REAL, phase TEXT, tables_loaded INTEGER NOT NULL, tables_total INTEGER NOT NULL, rows_loaded INTEGER NOT NULL,
    PRIMARY KEY (task_id, resolution, ts)) WITHOUT ROWID;
  CREATE TABLE task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES task_files(id) ON DELETE CASCADE,
    instance_id INTEGER NOT NULL, kind TEXT NOT NULL, created_at INTEGER NOT NULL,
    alarm_type TEXT, severity TEXT, status TEXT, channels TEXT, detail TEXT, failover_message TEXT,
    src_table TEXT, dst_table TEXT, src_sql TEXT, dst_sql TEXT, action TEXT, rule_id INTEGER, log_seq INTEGER);
  CREATE INDEX task_events_by_kind ON task_events(task_id, kind, created_at);
  CREATE INDEX task_events_by_rule ON task_events(rule_id, severity, created_at) WHERE rule_id IS NOT NULL;
  CREATE TABLE task_log_lines (
    instance_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    task_id INTEGER NOT NULL REFERENCES task_files(id) ON DELETE CASCADE,
    ts INTEGER NOT NULL, level TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)) WITHOUT ROWID;
  CREATE INDEX task_log_lines_by_task ON task_log_lines(task_id, instance_id);
  CREATE TABLE alarm_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES task_files(id) ON DELETE CASCADE,
    name TEXT NOT NULL, description TEXT NOT NULL, enabled INTEGER NOT NULL, metric_type TEXT NOT NULL,
    notification_settings TEXT NOT NULL, trigger_conditions TEXT NOT NULL, client_token TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, created_uid TEXT NOT NULL, updated_uid TEXT NOT NULL,
    UNIQUE (task_id, client_token));
  CREATE INDEX alarm_rules_by_task ON alarm_rules(task_id);
  INSERT INTO sqlite_sequence(name, seq) VALUES ('alarm_rules', 30000);
  CREATE TABLE folders (
    id TEXT PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id), path TEXT NOT NULL,
    created_at INTEGER NOT NULL, UNIQUE (project_id, path));
  CREATE TABLE di_project_config (
    project_id INTEGER NOT NULL REFERENCES projects(id), source_type TEXT NOT NULL, destination_type TEXT NOT NULL,
    config TEXT NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, source_type, destination_type)) WITHOUT ROWID;
  INSERT OR IGNORE INTO meta(key, value) VALUES ('created_at', CAST(strftime('%s', 'now') AS TEXT) || '000');
`;
