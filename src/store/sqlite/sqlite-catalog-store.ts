/**
 * The embedded catalog: SQLite through better-sqlite3 (synchronous, so each method is atomic
 * on its own; multi-statement changes use db.transaction). WAL mode lets the CLI (principal
 * management) and the service share the file. The file and its WAL are created owner-only
 * (SQLite gives the WAL and shared-memory files the database file's permissions).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  UniqueViolationError,
  type AccessKeyInfo, type AccessKeyRecord, type CatalogStore, type ClientTokenClaim, type ClientTokenKey, type ConfigProcessRecord,
  type DataSourceRecord, type DIJobRecord, type NewDataSource, type NewProject, type NewTaskFile, type Page, type PrincipalRecord, type ProjectRecord,
  type TaskFileFilter, type TaskFileRecord, type TaskRuntimeRecord,
} from '../catalog-store.ts';
import type { TaskStatus } from '../../domain/task-status.ts';
import { SealError, SecretBox } from '../secret-box.ts';
import { MASTER_KEY_FILE, secretBoxFromKeyFile } from '../master-key-file.ts';
import { SqliteMonitoringStore } from './sqlite-monitoring-store.ts';
import { FIRST_DATA_SOURCE_ID, FIRST_FILE_ID, FIRST_PROCESS_ID, FIRST_PROJECT_ID, SQLITE_MIGRATIONS } from './migrations.ts';

type Row = Record<string, any>;

export interface SqliteCatalogOptions {
  /** How long a write waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Seals secrets at rest; without one, the key in `master.key` next to the catalog (created when missing). */
  secretBox?: SecretBox;
}

/** The catalog cannot be used as it is (wrong master key, damaged file); the message says why. */
export class CatalogOpenError extends Error {}

const KEY_CHECK = 'opendi master key check';

export class SqliteCatalogStore implements CatalogStore {
  private readonly db: Database.Database;
  private readonly box: SecretBox;
  /** The catalog had no schema when opened (a new installation, or an empty file). */
  readonly createdNow: boolean;
  readonly monitoring: SqliteMonitoringStore;

  constructor(file: string, options: SqliteCatalogOptions = {}) {
    this.box = options.secretBox ?? (file === ':memory:' ? SecretBox.ephemeral() : secretBoxFromKeyFile(path.join(path.dirname(file), MASTER_KEY_FILE)));
    if (file !== ':memory:') createOwnerOnly(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode is durable across process crashes; only an OS crash can lose the last commit.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.createdNow = (this.db.pragma('user_version', { simple: true }) as number) === 0;
    this.migrate();
    this.checkMasterKey();
    this.sealClearRows();
    this.monitoring = new SqliteMonitoringStore(this.db);
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < SQLITE_MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(SQLITE_MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
    this.db.prepare(`INSERT OR IGNORE INTO meta(key, value) VALUES ('installation_id', ?)`)
      .run(randomUUID().replace(/-/g, '').slice(0, 10));
  }

  /** A catalog sealed under another key would fail on the first secret read; say so at open instead. */
  private checkMasterKey(): void {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'master_key_check'`).get() as Row | undefined;
    if (!row) {
      this.db.prepare(`INSERT OR IGNORE INTO meta(key, value) VALUES ('master_key_check', ?)`).run(this.box.seal(KEY_CHECK, 'meta'));
      return;
    }
    try {
      if (this.box.open(row.value, 'meta') === KEY_CHECK) return;
    } catch (err) {
      if (!(err instanceof SealError)) throw err;
    }
    this.db.close();
    throw new CatalogOpenError('the catalog\'s secrets were sealed with another master key: start with the OPENDI_MASTER_KEY or master.key this installation was created with');
  }

  /** Rows written in clear (older catalogs, or writers that do not seal) are sealed on open. */
  private sealClearRows(): void {
    this.db.transaction(() => {
      for (const r of this.db.prepare(`SELECT id, content FROM data_sources WHERE sealed = 0`).all() as Row[]) {
        this.db.prepare(`UPDATE data_sources SET content = ?, sealed = 1 WHERE id = ?`).run(this.sealContent(r.id, r.content), r.id);
      }
      for (const r of this.db.prepare(`SELECT access_key_id, secret FROM access_keys WHERE sealed = 0`).all() as Row[]) {
        this.db.prepare(`UPDATE access_keys SET secret = ?, sealed = 1 WHERE access_key_id = ?`)
          .run(this.box.seal(r.secret, keyContext(r.access_key_id)), r.access_key_id);
      }
    }).immediate();
  }

  private sealContent(id: number, json: string): string {
    return this.box.seal(json, `data_sources:${id}`);
  }

  /** One persistent counter per kind: `last_id` only grows, whatever rows are deleted. */
  private nextId(kind: string, first: number): number {
    const row = this.db.prepare(`INSERT INTO id_sequences(kind, last_id) VALUES (?, ?)
      ON CONFLICT(kind) DO UPDATE SET last_id = id_sequences.last_id + 1 RETURNING last_id`).get(kind, first) as Row;
    return row.last_id;
  }

  /** Runs a write; a unique-constraint failure becomes UniqueViolationError naming the columns. */
  private write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new UniqueViolationError(/failed: (.*)$/.exec(e.message ?? '')?.[1] ?? 'unknown');
      }
      throw err;
    }
  }

  async installationId(): Promise<string> {
    return (this.db.prepare(`SELECT value FROM meta WHERE key = 'installation_id'`).get() as Row).value;
  }

  async allocateId(kind: string, first: number): Promise<number> {
    return this.nextId(kind, first);
  }

  // ---- principals and keys

  async createPrincipal(name: string, isAdmin: boolean): Promise<PrincipalRecord> {
    const rec = { id: randomUUID(), name, isAdmin, disabled: false, createdAt: Date.now() };
    this.write(() => this.db.prepare(`INSERT INTO principals(id, name, is_admin, created_at) VALUES (?, ?, ?, ?)`)
      .run(rec.id, name, isAdmin ? 1 : 0, rec.createdAt));
    return rec;
  }
  async findPrincipalByName(name: string) {
    return mapPrincipal(this.db.prepare(`SELECT * FROM principals WHERE name = ?`).get(name) as Row);
  }
  async getPrincipal(id: string) {
    return mapPrincipal(this.db.prepare(`SELECT * FROM principals WHERE id = ?`).get(id) as Row);
  }
  async updatePrincipal(id: string, patch: Partial<Pick<PrincipalRecord, 'isAdmin' | 'disabled'>>): Promise<void> {
    if (patch.isAdmin !== undefined) this.db.prepare(`UPDATE principals SET is_admin = ? WHERE id = ?`).run(patch.isAdmin ? 1 : 0, id);
    if (patch.disabled !== undefined) this.db.prepare(`UPDATE principals SET disabled = ? WHERE id = ?`).run(patch.disabled ? 1 : 0, id);
  }
  async putAccessKey(k: AccessKeyRecord): Promise<void> {
    this.db.prepare(`INSERT INTO access_keys(access_key_id, secret, principal_id, origin, created_at, sealed) VALUES (?, ?, ?, ?, ?, 1)
      ON CONFLICT(access_key_id) DO UPDATE SET secret = excluded.secret, principal_id = excluded.principal_id, origin = excluded.origin, sealed = 1`)
      .run(k.accessKeyId, this.box.seal(k.secret, keyContext(k.accessKeyId)), k.principalId, k.origin ?? 'issued', Date.now());
  }
  async findAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const r = this.db.prepare(`SELECT k.* FROM access_keys k JOIN principals p ON p.id = k.principal_id
      WHERE k.access_key_id = ? AND k.revoked_at IS NULL AND p.disabled = 0`).get(accessKeyId) as Row;
    if (!r) return undefined;
    const secret = r.sealed ? this.box.open(r.secret, keyContext(r.access_key_id)) : r.secret;
    return { accessKeyId: r.access_key_id, secret, principalId: r.principal_id, origin: r.origin };
  }
  async listAccessKeys(principalId: string): Promise<AccessKeyInfo[]> {
    const rows = this.db.prepare(`SELECT * FROM access_keys WHERE principal_id = ? ORDER BY created_at, access_key_id`).all(principalId) as Row[];
    return rows.map(mapKeyInfo);
  }
  async getAccessKeyInfo(accessKeyId: string): Promise<AccessKeyInfo | undefined> {
    const r = this.db.prepare(`SELECT * FROM access_keys WHERE access_key_id = ?`).get(accessKeyId) as Row | undefined;
    return r && mapKeyInfo(r);
  }
  async revokeAccessKey(accessKeyId: string): Promise<boolean> {
    return this.db.prepare(`UPDATE access_keys SET revoked_at = ? WHERE access_key_id = ? AND revoked_at IS NULL`).run(Date.now(), accessKeyId).changes === 1;
  }
  async claimNonce(accessKeyId: string, nonce: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare(`DELETE FROM nonces WHERE expires_at < ?`).run(nowMs);
      const res = this.db.prepare(`INSERT OR IGNORE INTO nonces(access_key_id, nonce, expires_at) VALUES (?, ?, ?)`)
        .run(accessKeyId, nonce, expiresAtMs);
      return res.changes === 1;
    }).immediate();
  }

  // ---- projects

  async createProject(p: NewProject): Promise<ProjectRecord> {
    return this.write(() => this.db.transaction(() => {
      const now = Date.now();
      const id = this.nextId('projects', FIRST_PROJECT_ID);
      this.db.prepare(`INSERT INTO projects(id, identifier, name, description, owner_principal_id, tags,
        disable_development, is_allow_download, project_mode, resource_group_id, created_at, modified_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(id, p.identifier, p.name, p.description, p.ownerPrincipalId, JSON.stringify(p.tags),
          p.disableDevelopment ? 1 : 0, p.isAllowDownload, p.projectMode, p.resourceGroupId, now, now);
      this.db.prepare(`INSERT INTO project_members(project_id, principal_id) VALUES (?, ?)`).run(id, p.ownerPrincipalId);
      return { ...p, id, createdAt: now, modifiedAt: now };
    }).immediate());
  }
  async getProject(id: number) {
    return mapProject(this.db.prepare(`SELECT * FROM projects WHERE id = ?`).get(id) as Row);
  }
  async findProjectByIdentifier(identifier: string) {
    return mapProject(this.db.prepare(`SELECT * FROM projects WHERE identifier = ?`).get(identifier) as Row);
  }
  async listProjects(principalId: string | null, offset: number, limit: number): Promise<Page<ProjectRecord>> {
    const where = principalId === null ? '' : `WHERE id IN (SELECT project_id FROM project_members WHERE principal_id = @p)`;
    const args = principalId === null ? {} : { p: principalId };
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM projects ${where}`).get(args) as Row).n;
    const rows = this.db.prepare(`SELECT * FROM projects ${where} ORDER BY id LIMIT @limit OFFSET @offset`)
      .all({ ...args, limit, offset }) as Row[];
    return { total, items: rows.map((r) => mapProject(r)!) };
  }
  async grantProject(projectId: number, principalId: string): Promise<void> {
    this.db.prepare(`INSERT OR IGNORE INTO project_members(project_id, principal_id) VALUES (?, ?)`).run(projectId, principalId);
  }
  async isProjectMember(projectId: number, principalId: string): Promise<boolean> {
    return !!this.db.prepare(`SELECT 1 FROM project_members WHERE project_id = ? AND principal_id = ?`).get(projectId, principalId);
  }

  // ---- data sources

  async createDataSource(d: NewDataSource): Promise<DataSourceRecord> {
    return this.write(() => this.db.transaction(() => {
      const now = Date.now();
      const id = this.nextId('data_sources', FIRST_DATA_SOURCE_ID);
      this.db.prepare(`INSERT INTO data_sources(id, project_id, name, data_source_type, sub_type, env_type, description,
        content, sealed, status, owner_principal_id, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`)
        .run(id, d.projectId, d.name, d.dataSourceType, d.subType, d.envType, d.description,
          this.sealContent(id, JSON.stringify(d.content)), d.status, d.ownerPrincipalId, now, now);
      return { ...d, id, createdAt: now, modifiedAt: now };
    }).immediate());
  }
  async getDataSource(id: number) {
    return this.mapDataSource(this.db.prepare(`SELECT * FROM data_sources WHERE id = ?`).get(id) as Row);
  }
  async findDataSourceByName(projectId: number, name: string, envType?: number) {
    // Real-time tasks run against the production environment (EnvType 1) when both exist.
    const row = envType === undefined
      ? this.db.prepare(`SELECT * FROM data_sources WHERE project_id = ? AND name = ? ORDER BY env_type DESC LIMIT 1`).get(projectId, name)
      : this.db.prepare(`SELECT * FROM data_sources WHERE project_id = ? AND name = ? AND env_type = ?`).get(projectId, name, envType);
    return this.mapDataSource(row as Row);
  }
  async updateDataSource(id: number, patch: Partial<Pick<DataSourceRecord, 'content' | 'description' | 'envType' | 'status'>>) {
    const sets: string[] = [];
    const args: Record<string, unknown> = { id, now: Date.now() };
    if (patch.content !== undefined) { sets.push('content = @content', 'sealed = 1'); args.content = this.sealContent(id, JSON.stringify(patch.content)); }
    if (patch.description !== undefined) { sets.push('description = @description'); args.description = patch.description; }
    if (patch.envType !== undefined) { sets.push('env_type = @envType'); args.envType = patch.envType; }
    if (patch.status !== undefined) { sets.push('status = @status'); args.status = patch.status; }
    sets.push('modified_at = @now');
    this.write(() => this.db.prepare(`UPDATE data_sources SET ${sets.join(', ')} WHERE id = @id`).run(args));
  }
  async deleteDataSource(id: number) {
    this.db.prepare(`DELETE FROM data_sources WHERE id = ?`).run(id);
  }
  async listDataSources(projectId: number, f: { name?: string; dataSourceType?: string; subType?: string; envType?: number; status?: string }, offset: number, limit: number) {
    const conds = ['project_id = @projectId'];
    const args: Record<string, unknown> = { projectId, offset, limit };
    if (f.name !== undefined) { conds.push(`name LIKE @name ESCAPE '\\'`); args.name = `%${escapeLike(f.name)}%`; }
    if (f.dataSourceType !== undefined) { conds.push('data_source_type = @dst'); args.dst = f.dataSourceType; }
    if (f.subType !== undefined) { conds.push('sub_type = @st'); args.st = f.subType; }
    if (f.envType !== undefined) { conds.push('env_type = @env'); args.env = f.envType; }
    if (f.status !== undefined) { conds.push('status = @status'); args.status = f.status; }
    const where = conds.join(' AND ');
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM data_sources WHERE ${where}`).get(args) as Row).n;
    const rows = this.db.prepare(`SELECT * FROM data_sources WHERE ${where} ORDER BY id LIMIT @limit OFFSET @offset`).all(args) as Row[];
    return { total, items: rows.map((r) => this.mapDataSource(r)!) };
  }

  // ---- task files

  async createTaskFile(f: NewTaskFile): Promise<TaskFileRecord> {
    return this.write(() => this.db.transaction(() => {
      const now = Date.now();
      const id = this.nextId('task_files', FIRST_FILE_ID);
      this.db.prepare(`INSERT INTO task_files(id, project_id, name, file_type, task_type, folder_path, content, version,
        owner_principal_id, last_edit_principal_id, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`)
        .run(id, f.projectId, f.name, f.fileType, f.taskType, f.folderPath, f.content, f.ownerPrincipalId, f.ownerPrincipalId, now, now);
      this.db.prepare(`INSERT INTO task_runtime(file_id, status, message, desired, start_param, fence, resources_created, updated_at)
        VALUES (?, 'NORUN', NULL, 'STOP', NULL, 0, 0, ?)`).run(id, now);
      return { ...f, id, version: 1, deployedContent: null, deployedVersion: null, lastEditPrincipalId: f.ownerPrincipalId, createdAt: now, modifiedAt: now };
    }).immediate());
  }
  async getTaskFile(id: number) {
    return mapTaskFile(this.db.prepare(`SELECT * FROM task_files WHERE id = ?`).get(id) as Row);
  }
  async findTaskFileByName(projectId: number, name: string) {
    return mapTaskFile(this.db.prepare(`SELECT * FROM task_files WHERE project_id = ? AND name = ?`).get(projectId, name) as Row);
  }
  async updateTaskFileContent(id: number, content: string, editorPrincipalId: string) {
    this.db.prepare(`UPDATE task_files SET content = ?, version = version + 1, last_edit_principal_id = ?, modified_at = ? WHERE id = ?`)
      .run(content, editorPrincipalId, Date.now(), id);
  }
  async setDeployed(id: number, content: string | null, version: number | null) {
    this.db.prepare(`UPDATE task_files SET deployed_content = ?, deployed_version = ? WHERE id = ?`).run(content, version, id);
  }
  async deleteTaskFile(id: number) {
    this.db.prepare(`DELETE FROM task_files WHERE id = ?`).run(id);
  }
  async listTaskFiles(projectId: number, f: TaskFileFilter, offset: number, limit: number) {
    const conds = ['project_id = @projectId'];
    const args: Record<string, unknown> = { projectId, offset, limit };
    if (f.keyword !== undefined) { conds.push(`name LIKE @kw ESCAPE '\\'`); args.kw = `%${escapeLike(f.keyword)}%`; }
    if (f.exactName !== undefined) { conds.push('name = @exact'); args.exact = f.exactName; }
    if (f.owner !== undefined) { conds.push('owner_principal_id = @owner'); args.owner = f.owner; }
    // Lists travel as one bound JSON array (json_each), never spliced into the SQL text.
    if (f.fileTypes) { conds.push('file_type IN (SELECT value FROM json_each(@fileTypes))'); args.fileTypes = JSON.stringify(f.fileTypes); }
    if (f.fileIds) { conds.push('id IN (SELECT value FROM json_each(@fileIds))'); args.fileIds = JSON.stringify(f.fileIds); }
    if (f.folderPath !== undefined) {
      // Exact and case-sensitive (LIKE would fold ASCII case).
      conds.push(`(folder_path = @folder OR substr(folder_path, 1, length(@prefix)) = @prefix)`);
      args.folder = f.folderPath;
      args.prefix = `${f.folderPath}/`;
    }
    const where = conds.join(' AND ');
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM task_files WHERE ${where}`).get(args) as Row).n;
    const rows = this.db.prepare(`SELECT * FROM task_files WHERE ${where} ORDER BY id LIMIT @limit OFFSET @offset`).all(args) as Row[];
    return { total, items: rows.map((r) => mapTaskFile(r)!) };
  }
  async countTaskFilesReferencing(projectId: number, dataSourceName: string): Promise<number> {
    // Data source names appear in task content as "datasource":"<name>"; JSON escapes keep this exact.
    const needle = `%"datasource":${JSON.stringify(dataSourceName)}%`;
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM task_files WHERE project_id = ? AND (content LIKE ? OR deployed_content LIKE ?)`)
      .get(projectId, needle, needle) as Row).n;
  }

  // ---- runtime

  async getTaskRuntime(fileId: number): Promise<TaskRuntimeRecord> {
    const r = mapRuntime(this.db.prepare(`SELECT * FROM task_runtime WHERE file_id = ?`).get(fileId) as Row);
    if (!r) throw new Error(`no runtime row for task ${fileId}`);
    return r;
  }
  async mutateTaskRuntime(fileId: number, fn: (r: TaskRuntimeRecord) => Partial<TaskRuntimeRecord>): Promise<TaskRuntimeRecord> {
    return this.db.transaction(() => {
      const cur = mapRuntime(this.db.prepare(`SELECT * FROM task_runtime WHERE file_id = ?`).get(fileId) as Row);
      if (!cur) throw new Error(`no runtime row for task ${fileId}`);
      const next: TaskRuntimeRecord = { ...cur, ...fn(cur), fileId, updatedAt: Date.now() };
      this.db.prepare(`UPDATE task_runtime SET status = @status, message = @message, desired = @desired,
        start_param = @startParam, fence = @fence, resources_created = @rc, progress = @progressJson, instance_id = @instanceId,
        updated_at = @updatedAt WHERE file_id = @fileId`)
        .run({ ...next, rc: next.resourcesCreated ? 1 : 0, progress: undefined, progressJson: next.progress ? JSON.stringify(next.progress) : null });
      return next;
    }).immediate();
  }
  async nextInstanceId(): Promise<number> {
    return (this.db.prepare(`UPDATE instance_counter SET last = last + 1 WHERE id = 1 RETURNING last`).get() as Row).last;
  }
  async listTaskRuntimes(f: { desired?: 'RUN' | 'STOP' }): Promise<TaskRuntimeRecord[]> {
    const rows = (f.desired
      ? this.db.prepare(`SELECT * FROM task_runtime WHERE desired = ? ORDER BY file_id`).all(f.desired)
      : this.db.prepare(`SELECT * FROM task_runtime ORDER BY file_id`).all()) as Row[];
    return rows.map((r) => mapRuntime(r)!);
  }

  // ---- 2024 DI jobs

  async putDIJob(j: Pick<DIJobRecord, 'fileId' | 'document' | 'fileSpec' | 'fileVersion'>): Promise<void> {
    this.db.prepare(`INSERT INTO di_jobs(file_id, document, file_spec, file_version) VALUES (@fileId, @document, @fileSpec, @fileVersion)
      ON CONFLICT(file_id) DO UPDATE SET document = excluded.document, file_spec = excluded.file_spec, file_version = excluded.file_version`).run(j);
  }
  async getDIJob(fileId: number): Promise<DIJobRecord | undefined> {
    return mapDIJob(this.db.prepare(`SELECT * FROM di_jobs WHERE file_id = ?`).get(fileId) as Row);
  }
  async listDIJobs(projectId: number): Promise<DIJobRecord[]> {
    const rows = this.db.prepare(`SELECT j.* FROM di_jobs j JOIN task_files f ON f.id = j.file_id WHERE f.project_id = ? ORDER BY j.file_id`).all(projectId) as Row[];
    return rows.map((r) => mapDIJob(r)!);
  }
  async claimDIJobRun(fileId: number, instanceId: number): Promise<{ document: string; rerun: boolean } | undefined> {
    return this.db.transaction(() => {
      // A new instance takes the current document, and a pending rerun (-1) becomes its own.
      this.db.prepare(`UPDATE di_jobs SET run_document = document, run_instance_id = @i,
        rerun_instance_id = CASE WHEN rerun_instance_id = -1 THEN @i ELSE rerun_instance_id END
        WHERE file_id = @f AND run_instance_id <> @i`).run({ i: instanceId, f: fileId });
      const r = this.db.prepare(`SELECT run_document, rerun_instance_id FROM di_jobs WHERE file_id = ?`).get(fileId) as Row | undefined;
      return r && { document: r.run_document as string, rerun: r.rerun_instance_id === instanceId };
    }).immediate();
  }
  async markDIJobRerun(fileId: number): Promise<void> {
    this.db.prepare(`UPDATE di_jobs SET rerun_instance_id = -1 WHERE file_id = ?`).run(fileId);
  }

  // ---- config processes

  async createConfigProcess(p: Omit<ConfigProcessRecord, 'id' | 'createdAt'>): Promise<ConfigProcessRecord> {
    return this.db.transaction(() => {
      const id = this.nextId('config_processes', FIRST_PROCESS_ID);
      const createdAt = Date.now();
      this.db.prepare(`INSERT INTO config_processes(id, project_id, kind, task_id, status, message, task_content, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(id, p.projectId, p.kind, p.taskId, p.status, p.message, p.taskContent, createdAt);
      return { ...p, id, createdAt };
    }).immediate();
  }
  async finishConfigProcess(id: number, status: 'success' | 'fail', message: string | null, taskContent: string | null) {
    this.db.prepare(`UPDATE config_processes SET status = ?, message = ?, task_content = ? WHERE id = ?`).run(status, message, taskContent, id);
  }
  async failRunningConfigProcesses(message: string): Promise<number> {
    return this.db.prepare(`UPDATE config_processes SET status = 'fail', message = ? WHERE status = 'running'`).run(message).changes;
  }
  async getConfigProcess(id: number): Promise<ConfigProcessRecord | undefined> {
    const r = this.db.prepare(`SELECT * FROM config_processes WHERE id = ?`).get(id) as Row;
    return r && { id: r.id, projectId: r.project_id, kind: r.kind, taskId: r.task_id, status: r.status, message: r.message, taskContent: r.task_content, createdAt: r.created_at };
  }

  // ---- client tokens

  async claimClientToken(k: ClientTokenKey, requestHash: string, nowMs: number, expiresAtMs: number): Promise<ClientTokenClaim> {
    return this.db.transaction((): ClientTokenClaim => {
      this.db.prepare(`DELETE FROM client_tokens WHERE expires_at < ?`).run(nowMs);
      const res = this.db.prepare(`INSERT OR IGNORE INTO client_tokens(principal_id, action, token, request_hash, response, created_at, expires_at)
        VALUES (?, ?, ?, ?, NULL, ?, ?)`).run(k.principalId, k.action, k.token, requestHash, nowMs, expiresAtMs);
      if (res.changes === 1) return { claimed: true };
      const r = this.db.prepare(`SELECT * FROM client_tokens WHERE principal_id = ? AND action = ? AND token = ?`).get(k.principalId, k.action, k.token) as Row;
      return { claimed: false, requestHash: r.request_hash, response: r.response, createdAt: r.created_at };
    }).immediate();
  }
  async completeClientToken(k: ClientTokenKey, response: string): Promise<void> {
    this.db.prepare(`UPDATE client_tokens SET response = ? WHERE principal_id = ? AND action = ? AND token = ?`).run(response, k.principalId, k.action, k.token);
  }
  async releaseClientToken(k: ClientTokenKey): Promise<void> {
    this.db.prepare(`DELETE FROM client_tokens WHERE principal_id = ? AND action = ? AND token = ? AND response IS NULL`).run(k.principalId, k.action, k.token);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private mapDataSource(r: Row | undefined): DataSourceRecord | undefined {
    if (!r) return undefined;
    const content = JSON.parse(r.sealed ? this.box.open(r.content, `data_sources:${r.id}`) : r.content);
    return {
      id: r.id, projectId: r.project_id, name: r.name, dataSourceType: r.data_source_type, subType: r.sub_type,
      envType: r.env_type, description: r.description, content, status: r.status,
      ownerPrincipalId: r.owner_principal_id, createdAt: r.created_at, modifiedAt: r.modified_at,
    };
  }
}

/** Creates the catalog file owner-only before SQLite does (SQLite would use 0644); tightens one we made before. */
function createOwnerOnly(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      const st = fs.statSync(f);
      if (st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch { /* absent */ }
  }
}

function keyContext(accessKeyId: string): string {
  return `access_keys:${accessKeyId}`;
}

function mapKeyInfo(r: Row): AccessKeyInfo {
  return { accessKeyId: r.access_key_id, principalId: r.principal_id, origin: r.origin, createdAt: r.created_at ?? null, revokedAt: r.revoked_at ?? null };
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

function mapPrincipal(r: Row | undefined): PrincipalRecord | undefined {
  return r && { id: r.id, name: r.name, isAdmin: r.is_admin === 1, disabled: r.disabled === 1, createdAt: r.created_at };
}
function mapProject(r: Row | undefined): ProjectRecord | undefined {
  return r && {
    id: r.id, identifier: r.identifier, name: r.name, description: r.description, ownerPrincipalId: r.owner_principal_id,
    tags: JSON.parse(r.tags), disableDevelopment: r.disable_development === 1, isAllowDownload: r.is_allow_download,
    projectMode: r.project_mode, resourceGroupId: r.resource_group_id, createdAt: r.created_at, modifiedAt: r.modified_at,
  };
}
function mapTaskFile(r: Row | undefined): TaskFileRecord | undefined {
  return r && {
    id: r.id, projectId: r.project_id, name: r.name, fileType: r.file_type, taskType: r.task_type, folderPath: r.folder_path,
    content: r.content, version: r.version, deployedContent: r.deployed_content, deployedVersion: r.deployed_version,
    ownerPrincipalId: r.owner_principal_id, lastEditPrincipalId: r.last_edit_principal_id, createdAt: r.created_at, modifiedAt: r.modified_at,
  };
}
function mapDIJob(r: Row | undefined): DIJobRecord | undefined {
  return r && {
    fileId: r.file_id, document: r.document, fileSpec: r.file_spec, fileVersion: r.file_version,
    runInstanceId: r.run_instance_id, runDocument: r.run_document, rerunInstanceId: r.rerun_instance_id,
  };
}
function mapRuntime(r: Row | undefined): TaskRuntimeRecord | undefined {
  return r && {
    fileId: r.file_id, status: r.status as TaskStatus, message: r.message, desired: r.desired, startParam: r.start_param,
    fence: r.fence, resourcesCreated: r.resources_created === 1, progress: r.progress ? JSON.parse(r.progress) : null,
    instanceId: r.instance_id, updatedAt: r.updated_at,
  };
}
