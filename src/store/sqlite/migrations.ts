import { MONITORING_MIGRATION } from './monitoring-migration.ts';
import { LISTING_INDEXES } from '../sql/listing-indexes.ts';
import { JOB_LISTING_MIGRATION } from '../sql/job-listing-migration.ts';

/**
 * Numbered schema migrations of the catalog. Entry N upgrades the schema from version N to N+1
 * (SQLite: `PRAGMA user_version`; PostgreSQL: opendi_catalog.schema_migrations); never edit an
 * entry that has shipped, append a new one. An entry is SQLite text that ../postgres/migrations.ts
 * translates for PostgreSQL, or one text per dialect where they differ (e.g. a sequence).
 */
export type Migration = string | { sqlite: string; postgres: string };

export const CATALOG_MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE principals (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, is_admin INTEGER NOT NULL, created_at INTEGER NOT NULL);
  CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY, secret TEXT NOT NULL,
    principal_id TEXT NOT NULL REFERENCES principals(id));
  CREATE TABLE nonces (
    access_key_id TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (access_key_id, nonce)) WITHOUT ROWID;
  CREATE INDEX nonces_expiry ON nonces(expires_at);
  CREATE TABLE projects (
    id INTEGER PRIMARY KEY, identifier TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    description TEXT NOT NULL, owner_principal_id TEXT NOT NULL, tags TEXT NOT NULL,
    disable_development INTEGER NOT NULL, is_allow_download INTEGER NOT NULL, project_mode INTEGER NOT NULL,
    resource_group_id TEXT NOT NULL, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL);
  CREATE TABLE project_members (
    project_id INTEGER NOT NULL REFERENCES projects(id), principal_id TEXT NOT NULL REFERENCES principals(id),
    PRIMARY KEY (project_id, principal_id)) WITHOUT ROWID;
  CREATE TABLE data_sources (
    id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id), name TEXT NOT NULL,
    data_source_type TEXT NOT NULL, sub_type TEXT NOT NULL, env_type INTEGER NOT NULL,
    description TEXT NOT NULL, content TEXT NOT NULL, status TEXT NOT NULL, owner_principal_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL,
    UNIQUE (project_id, name, env_type));
  CREATE TABLE task_files (
    id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id), name TEXT NOT NULL,
    file_type INTEGER NOT NULL, task_type TEXT NOT NULL, folder_path TEXT NOT NULL, content TEXT NOT NULL,
    version INTEGER NOT NULL, deployed_content TEXT, deployed_version INTEGER,
    owner_principal_id TEXT NOT NULL, last_edit_principal_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL,
    UNIQUE (project_id, name));
  CREATE TABLE task_runtime (
    file_id INTEGER PRIMARY KEY REFERENCES task_files(id) ON DELETE CASCADE,
    status TEXT NOT NULL, message TEXT, desired TEXT NOT NULL, start_param TEXT,
    fence INTEGER NOT NULL, resources_created INTEGER NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE config_processes (
    id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, kind TEXT NOT NULL, task_id INTEGER,
    status TEXT NOT NULL, message TEXT, task_content TEXT, created_at INTEGER NOT NULL);
  `,
  `
  ALTER TABLE task_runtime ADD COLUMN progress TEXT;
  `,
  // Each Start of a task is an instance (2024 InstanceId; logs and events are kept per instance).
  // Instance ids come from a counter that never goes back, so an id is never reused.
  `
  ALTER TABLE task_runtime ADD COLUMN instance_id INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE instance_counter (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
  INSERT INTO instance_counter(id, last) VALUES (1, 0);
  `,
  // Real-time tasks are FileType 900 (real-time synchronization), not 23 (batch; docs/design.md
  // section 2). ClientToken answers of create actions, kept 24 h (src/actions/client-token.ts).
  `
  UPDATE task_files SET file_type = 900 WHERE file_type = 23 AND task_type = 'DI_REALTIME';
  CREATE TABLE client_tokens (
    principal_id TEXT NOT NULL, action TEXT NOT NULL, token TEXT NOT NULL, request_hash TEXT NOT NULL,
    response TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (principal_id, action, token)) WITHOUT ROWID;
  CREATE INDEX client_tokens_expiry ON client_tokens(expires_at);
  `,
  // 2024-05-18 DI jobs (issue 9): a job is a real-time task file; this row keeps its job document.
  // file_version: the task file version the document belongs to (a 2020 update makes it stale).
  // run_*: the document the instance run_instance_id runs (an Update takes effect at the next Start);
  // rerun_instance_id: the instance started with ForceToRerun (its first pipeline recreates the targets).
  `
  CREATE TABLE di_jobs (
    file_id INTEGER PRIMARY KEY REFERENCES task_files(id) ON DELETE CASCADE,
    document TEXT NOT NULL, file_spec TEXT, file_version INTEGER NOT NULL,
    run_instance_id INTEGER NOT NULL DEFAULT 0, run_document TEXT, rerun_instance_id INTEGER NOT NULL DEFAULT 0);
  `,
  // Ids from a persistent counter per kind, never MAX(id)+1 (a deleted task's FileId was handed to the
  // next task, which inherited its target checkpoint). Counters start after the ids already used.
  `
  CREATE TABLE id_sequences (kind TEXT PRIMARY KEY, last_id INTEGER NOT NULL);
  INSERT INTO id_sequences(kind, last_id) SELECT 'projects', id FROM projects ORDER BY id DESC LIMIT 1;
  INSERT INTO id_sequences(kind, last_id) SELECT 'data_sources', id FROM data_sources ORDER BY id DESC LIMIT 1;
  INSERT INTO id_sequences(kind, last_id) SELECT 'task_files', id FROM task_files ORDER BY id DESC LIMIT 1;
  INSERT INTO id_sequences(kind, last_id) SELECT 'config_processes', id FROM config_processes ORDER BY id DESC LIMIT 1;
  `,
  // Key management (revoke, disable, where a key came from) and secrets sealed at rest: rows with
  // sealed = 0 are clear and get sealed when a store with the master key opens the catalog.
  `
  ALTER TABLE principals ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE access_keys ADD COLUMN origin TEXT NOT NULL DEFAULT 'legacy';
  ALTER TABLE access_keys ADD COLUMN created_at INTEGER;
  ALTER TABLE access_keys ADD COLUMN revoked_at INTEGER;
  ALTER TABLE access_keys ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE data_sources ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
  `,
  // Monitoring (src/store/monitoring-store.ts): metric samples, the task event log, per-instance
  // logs, alarm rules, and the remaining 2020 catalog objects (folders, workspace DDL defaults).
  // Everything a task owns goes with its file (ON DELETE CASCADE); AUTOINCREMENT ids are never reused.
  MONITORING_MIGRATION,
  LISTING_INDEXES,
  JOB_LISTING_MIGRATION,
  // The cluster node whose worker runs a config process (null: a single process). A node that dies
  // leaves its checks `running`; the live nodes fail them (src/cluster/reconciler.ts).
  `
  ALTER TABLE config_processes ADD COLUMN node_key TEXT;
  `,
];

/** The SQLite text of every migration. */
export const SQLITE_MIGRATIONS: readonly string[] = CATALOG_MIGRATIONS.map((m) => typeof m === 'string' ? m : m.sqlite);
