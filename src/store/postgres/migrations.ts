/**
 * Numbered schema migrations of the PostgreSQL catalog: entry N is SQLite's entry N
 * (../sqlite/migrations.ts) in PostgreSQL's words, so a version number means the same schema in
 * both (test/catalog-contract checks they stay the same length). Integers are BIGINT (epoch
 * milliseconds; read as JS numbers by pg-driver.ts), booleans stay 0/1 integers as in SQLite so
 * the one SQL implementation reads both alike. Never edit an entry that has shipped; append.
 */
import { PG_MONITORING_MIGRATION } from './monitoring-migration.ts';
import { LISTING_INDEXES } from '../sql/listing-indexes.ts';

export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE principals (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, is_admin BIGINT NOT NULL, created_at BIGINT NOT NULL);
  CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY, secret TEXT NOT NULL,
    principal_id TEXT NOT NULL REFERENCES principals(id));
  CREATE TABLE nonces (
    access_key_id TEXT NOT NULL, nonce TEXT NOT NULL, expires_at BIGINT NOT NULL,
    PRIMARY KEY (access_key_id, nonce));
  CREATE INDEX nonces_expiry ON nonces(expires_at);
  CREATE TABLE projects (
    id BIGINT PRIMARY KEY, identifier TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    description TEXT NOT NULL, owner_principal_id TEXT NOT NULL, tags TEXT NOT NULL,
    disable_development BIGINT NOT NULL, is_allow_download BIGINT NOT NULL, project_mode BIGINT NOT NULL,
    resource_group_id TEXT NOT NULL, created_at BIGINT NOT NULL, modified_at BIGINT NOT NULL);
  CREATE TABLE project_members (
    project_id BIGINT NOT NULL REFERENCES projects(id), principal_id TEXT NOT NULL REFERENCES principals(id),
    PRIMARY KEY (project_id, principal_id));
  CREATE TABLE data_sources (
    id BIGINT PRIMARY KEY, project_id BIGINT NOT NULL REFERENCES projects(id), name TEXT NOT NULL,
    data_source_type TEXT NOT NULL, sub_type TEXT NOT NULL, env_type BIGINT NOT NULL,
    description TEXT NOT NULL, content TEXT NOT NULL, status TEXT NOT NULL, owner_principal_id TEXT NOT NULL,
    created_at BIGINT NOT NULL, modified_at BIGINT NOT NULL,
    UNIQUE (project_id, name, env_type));
  CREATE TABLE task_files (
    id BIGINT PRIMARY KEY, project_id BIGINT NOT NULL REFERENCES projects(id), name TEXT NOT NULL,
    file_type BIGINT NOT NULL, task_type TEXT NOT NULL, folder_path TEXT NOT NULL, content TEXT NOT NULL,
    version BIGINT NOT NULL, deployed_content TEXT, deployed_version BIGINT,
    owner_principal_id TEXT NOT NULL, last_edit_principal_id TEXT NOT NULL,
    created_at BIGINT NOT NULL, modified_at BIGINT NOT NULL,
    UNIQUE (project_id, name));
  CREATE TABLE task_runtime (
    file_id BIGINT PRIMARY KEY REFERENCES task_files(id) ON DELETE CASCADE,
    status TEXT NOT NULL, message TEXT, desired TEXT NOT NULL, start_param TEXT,
    fence BIGINT NOT NULL, resources_created BIGINT NOT NULL, updated_at BIGINT NOT NULL);
  CREATE TABLE config_processes (
    id BIGINT PRIMARY KEY, project_id BIGINT NOT NULL, kind TEXT NOT NULL, task_id BIGINT,
    status TEXT NOT NULL, message TEXT, task_content TEXT, created_at BIGINT NOT NULL);
  `,
  `
  ALTER TABLE task_runtime ADD COLUMN progress TEXT;
  `,
  `
  ALTER TABLE task_runtime ADD COLUMN instance_id BIGINT NOT NULL DEFAULT 0;
  CREATE TABLE instance_counter (id BIGINT PRIMARY KEY CHECK (id = 1), last BIGINT NOT NULL);
  INSERT INTO instance_counter(id, last) VALUES (1, 0);
  `,
  `
  UPDATE task_files SET file_type = 900 WHERE file_type = 23 AND task_type = 'DI_REALTIME';
  CREATE TABLE client_tokens (
    principal_id TEXT NOT NULL, action TEXT NOT NULL, token TEXT NOT NULL, request_hash TEXT NOT NULL,
    response TEXT, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
    PRIMARY KEY (principal_id, action, token));
  CREATE INDEX client_tokens_expiry ON client_tokens(expires_at);
  `,
  `
  CREATE TABLE di_jobs (
    file_id BIGINT PRIMARY KEY REFERENCES task_files(id) ON DELETE CASCADE,
    document TEXT NOT NULL, file_spec TEXT, file_version BIGINT NOT NULL,
    run_instance_id BIGINT NOT NULL DEFAULT 0, run_document TEXT, rerun_instance_id BIGINT NOT NULL DEFAULT 0);
  `,
  `
  CREATE TABLE id_sequences (kind TEXT PRIMARY KEY, last_id BIGINT NOT NULL);
  INSERT INTO id_sequences(kind, last_id) SELECT 'projects', MAX(id) FROM projects HAVING COUNT(*) > 0;
  INSERT INTO id_sequences(kind, last_id) SELECT 'data_sources', MAX(id) FROM data_sources HAVING COUNT(*) > 0;
  INSERT INTO id_sequences(kind, last_id) SELECT 'task_files', MAX(id) FROM task_files HAVING COUNT(*) > 0;
  INSERT INTO id_sequences(kind, last_id) SELECT 'config_processes', MAX(id) FROM config_processes HAVING COUNT(*) > 0;
  `,
  `
  ALTER TABLE principals ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
  ALTER TABLE access_keys ADD COLUMN origin TEXT NOT NULL DEFAULT 'legacy';
  ALTER TABLE access_keys ADD COLUMN created_at BIGINT;
  ALTER TABLE access_keys ADD COLUMN revoked_at BIGINT;
  ALTER TABLE access_keys ADD COLUMN sealed BIGINT NOT NULL DEFAULT 0;
  ALTER TABLE data_sources ADD COLUMN sealed BIGINT NOT NULL DEFAULT 0;
  `,
  PG_MONITORING_MIGRATION,
  LISTING_INDEXES,
];
