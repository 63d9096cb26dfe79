/**
 * The one SQL implementation of the catalog port (../catalog-store.ts) for both databases: the
 * embedded SQLite file (../sqlite/) and a shared PostgreSQL catalog (../postgres/), through the
 * small driver port of sql-driver.ts. Portable SQL with `?` placeholders; what differs between the
 * dialects (row locks, ILIKE, bound id lists) comes from `driver.dialect`. Writes that must be
 * atomic run in one driver transaction; mutateTaskRuntime reads its row FOR UPDATE (PostgreSQL).
 */
import { randomUUID } from 'node:crypto';
import {
  ID_SEQUENCES,
  type AccessKeyInfo, type AccessKeyRecord, type CatalogStore, type ClientTokenClaim, type ClientTokenKey, type ConfigProcessRecord,
  type DataSourceRecord, type DIJobRecord, type NewDataSource, type NewProject, type NewTaskFile, type Page, type PrincipalRecord, type ProjectRecord,
  type JobListingFilter, type JobListingRecord, type ListedJob, type StaleJobListing, type TaskFileFilter, type TaskFileRecord, type TaskRuntimeRecord,
} from '../catalog-store.ts';
import { listJobListings, putJobListings, staleJobListings } from './sql-job-listings.ts';
import { SealError, type SecretBox } from '../secret-box.ts';
import type { Row, SqlDriver, SqlExec } from './sql-driver.ts';
import { SqlMonitoringStore } from './sql-monitoring-store.ts';
import { selectPage } from './select-page.ts';
import { escapeLike, mapDIJob, mapKeyInfo, mapPrincipal, mapProject, mapRuntime, mapTaskFile } from './catalog-rows.ts';

/** The catalog cannot be used as it is (wrong master key, damaged file); the message says why. */
export class CatalogOpenError extends Error {}

const KEY_CHECK = 'opendi master key check';

export type DataSourceFilter = { name?: string; dataSourceType?: string; subType?: string; envType?: number; status?: string };

export class SqlCatalogStore implements CatalogStore {
  readonly monitoring: SqlMonitoringStore;

  /** `createdNow`: the catalog had no schema when opened (a new installation, or an empty file). */
  protected constructor(protected readonly db: SqlDriver, private readonly box: SecretBox, readonly createdNow: boolean) {
    this.monitoring = new SqlMonitoringStore(db);
  }

  /**
   * The catalog's own database, for code that keeps more state next to the catalog (e.g. node leases
   * on a shared PostgreSQL catalog): the same driver, pool and bounds.
   */
  get driver(): SqlDriver {
    return this.db;
  }

  /** Migrates, checks the master key against the catalog's, seals rows written in clear. Closes the driver when it fails. */
  static async open(db: SqlDriver, migrations: readonly string[], box: SecretBox): Promise<SqlCatalogStore> {
    try {
      const found = await db.migrate(migrations);
      const store = new SqlCatalogStore(db, box, found === 0);
      await store.prepare();
      return store;
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  private async prepare(): Promise<void> {
    await this.db.run(`INSERT INTO meta(key, value) VALUES ('installation_id', ?) ON CONFLICT DO NOTHING`, [randomUUID().replace(/-/g, '').slice(0, 10)]);
    await this.checkMasterKey();
    await this.sealClearRows();
  }

  /** A catalog sealed under another key would fail on the first secret read; say so at open instead. */
  private async checkMasterKey(): Promise<void> {
    await this.db.run(`INSERT INTO meta(key, value) VALUES ('master_key_check', ?) ON CONFLICT DO NOTHING`, [this.box.seal(KEY_CHECK, 'meta')]);
    const [row] = await this.db.query(`SELECT value FROM meta WHERE key = 'master_key_check'`);
    try {
      if (this.box.open(row.value, 'meta') === KEY_CHECK) return;
    } catch (err) {
      if (!(err instanceof SealError)) throw err;
    }
    throw new CatalogOpenError('the catalog\'s secrets were sealed with another master key: start with the OPENDI_MASTER_KEY or master.key this installation was created with');
  }

  /** Rows written in clear (older catalogs, or writers that do not seal) are sealed on open. */
  private async sealClearRows(): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const r of await tx.query(`SELECT id, content FROM data_sources WHERE sealed = 0`)) {
        await tx.run(`UPDATE data_sources SET content = ?, sealed = 1 WHERE id = ? AND sealed = 0`, [this.sealContent(r.id, r.content), r.id]);
      }
      for (const r of await tx.query(`SELECT access_key_id, secret FROM access_keys WHERE sealed = 0`)) {
        await tx.run(`UPDATE access_keys SET secret = ?, sealed = 1 WHERE access_key_id = ? AND sealed = 0`, [this.box.seal(r.secret, keyContext(r.access_key_id)), r.access_key_id]);
      }
    });
  }

  private sealContent(id: number, json: string): string {
    return this.box.seal(json, `data_sources:${id}`);
  }

  /** One persistent counter per kind: `last_id` only grows, whatever rows are deleted (the upsert locks the row). */
  private async nextId(tx: SqlExec, kind: string, first: number): Promise<number> {
    const [row] = await tx.query(`INSERT INTO id_sequences(kind, last_id) VALUES (?, ?)
      ON CONFLICT(kind) DO UPDATE SET last_id = id_sequences.last_id + 1 RETURNING last_id`, [kind, first]);
    return row.last_id;
  }

  private async one(sql: string, params: readonly unknown[]): Promise<Row | undefined> {
    return (await this.db.query(sql, params))[0];
  }

  async installationId(): Promise<string> {
    return (await this.one(`SELECT value FROM meta WHERE key = 'installation_id'`, []))!.value;
  }

  async allocateId(kind: string, first: number): Promise<number> {
    return this.nextId(this.db, kind, first);
  }

  // ---- principals and keys

  async createPrincipal(name: string, isAdmin: boolean): Promise<PrincipalRecord> {
    const rec = { id: randomUUID(), name, isAdmin, disabled: false, createdAt: Date.now() };
    await this.db.run(`INSERT INTO principals(id, name, is_admin, created_at) VALUES (?, ?, ?, ?)`, [rec.id, name, isAdmin ? 1 : 0, rec.createdAt]);
    return rec;
  }
  async findPrincipalByName(name: string) {
    return mapPrincipal(await this.one(`SELECT * FROM principals WHERE name = ?`, [name]));
  }
  async getPrincipal(id: string) {
    return mapPrincipal(await this.one(`SELECT * FROM principals WHERE id = ?`, [id]));
  }
  async updatePrincipal(id: string, patch: Partial<Pick<PrincipalRecord, 'isAdmin' | 'disabled'>>): Promise<void> {
    if (patch.isAdmin !== undefined) await this.db.run(`UPDATE principals SET is_admin = ? WHERE id = ?`, [patch.isAdmin ? 1 : 0, id]);
    if (patch.disabled !== undefined) await this.db.run(`UPDATE principals SET disabled = ? WHERE id = ?`, [patch.disabled ? 1 : 0, id]);
  }
  async putAccessKey(k: AccessKeyRecord): Promise<void> {
    await this.db.run(`INSERT INTO access_keys(access_key_id, secret, principal_id, origin, created_at, sealed) VALUES (?, ?, ?, ?, ?, 1)
      ON CONFLICT(access_key_id) DO UPDATE SET secret = excluded.secret, principal_id = excluded.principal_id, origin = excluded.origin, sealed = 1`,
    [k.accessKeyId, this.box.seal(k.secret, keyContext(k.accessKeyId)), k.principalId, k.origin ?? 'issued', Date.now()]);
  }
  async findAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const r = await this.one(`SELECT k.* FROM access_keys k JOIN principals p ON p.id = k.principal_id
      WHERE k.access_key_id = ? AND k.revoked_at IS NULL AND p.disabled = 0`, [accessKeyId]);
    if (!r) return undefined;
    const secret = r.sealed ? this.box.open(r.secret, keyContext(r.access_key_id)) : r.secret;
    return { accessKeyId: r.access_key_id, secret, principalId: r.principal_id, origin: r.origin };
  }
  async listAccessKeys(principalId: string): Promise<AccessKeyInfo[]> {
    return (await this.db.query(`SELECT * FROM access_keys WHERE principal_id = ? ORDER BY created_at, access_key_id`, [principalId])).map(mapKeyInfo);
  }
  async getAccessKeyInfo(accessKeyId: string): Promise<AccessKeyInfo | undefined> {
    const r = await this.one(`SELECT * FROM access_keys WHERE access_key_id = ?`, [accessKeyId]);
    return r && mapKeyInfo(r);
  }
  async revokeAccessKey(accessKeyId: string): Promise<boolean> {
    return await this.db.run(`UPDATE access_keys SET revoked_at = ? WHERE access_key_id = ? AND revoked_at IS NULL`, [Date.now(), accessKeyId]) === 1;
  }
  async claimNonce(accessKeyId: string, nonce: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.run(`DELETE FROM nonces WHERE expires_at < ?`, [nowMs]);
      return await tx.run(`INSERT INTO nonces(access_key_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, [accessKeyId, nonce, expiresAtMs]) === 1;
    });
  }

  // ---- projects

  async createProject(p: NewProject): Promise<ProjectRecord> {
    return this.db.transaction(async (tx) => {
      const now = Date.now();
      const id = await this.nextId(tx, 'projects', ID_SEQUENCES.projects);
      await tx.run(`INSERT INTO projects(id, identifier, name, description, owner_principal_id, tags,
        disable_development, is_allow_download, project_mode, resource_group_id, created_at, modified_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, p.identifier, p.name, p.description, p.ownerPrincipalId, JSON.stringify(p.tags),
        p.disableDevelopment ? 1 : 0, p.isAllowDownload, p.projectMode, p.resourceGroupId, now, now]);
      await tx.run(`INSERT INTO project_members(project_id, principal_id) VALUES (?, ?)`, [id, p.ownerPrincipalId]);
      return { ...p, id, createdAt: now, modifiedAt: now };
    });
  }
  async getProject(id: number) {
    return mapProject(await this.one(`SELECT * FROM projects WHERE id = ?`, [id]));
  }
  async findProjectByIdentifier(identifier: string) {
    return mapProject(await this.one(`SELECT * FROM projects WHERE identifier = ?`, [identifier]));
  }
  async listProjects(principalId: string | null, offset: number, limit: number): Promise<Page<ProjectRecord>> {
    const where = principalId === null ? '' : `WHERE id IN (SELECT project_id FROM project_members WHERE principal_id = ?)`;
    const args = principalId === null ? [] : [principalId];
    const { total, rows } = await selectPage(this.db, '*', `FROM projects ${where}`, 'id', args, offset, limit);
    return { total, items: rows.map((r) => mapProject(r)!) };
  }
  async grantProject(projectId: number, principalId: string): Promise<void> {
    await this.db.run(`INSERT INTO project_members(project_id, principal_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, [projectId, principalId]);
  }
  async isProjectMember(projectId: number, principalId: string): Promise<boolean> {
    return !!await this.one(`SELECT 1 AS x FROM project_members WHERE project_id = ? AND principal_id = ?`, [projectId, principalId]);
  }

  // ---- data sources

  async createDataSource(d: NewDataSource): Promise<DataSourceRecord> {
    return this.db.transaction(async (tx) => {
      const now = Date.now();
      const id = await this.nextId(tx, 'data_sources', ID_SEQUENCES.data_sources);
      await tx.run(`INSERT INTO data_sources(id, project_id, name, data_source_type, sub_type, env_type, description,
        content, sealed, status, owner_principal_id, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
      [id, d.projectId, d.name, d.dataSourceType, d.subType, d.envType, d.description,
        this.sealContent(id, JSON.stringify(d.content)), d.status, d.ownerPrincipalId, now, now]);
      return { ...d, id, createdAt: now, modifiedAt: now };
    });
  }
  async getDataSource(id: number) {
    return this.mapDataSource(await this.one(`SELECT * FROM data_sources WHERE id = ?`, [id]));
  }
  async findDataSourceByName(projectId: number, name: string, envType?: number) {
    // Real-time tasks run against the production environment (EnvType 1) when both exist.
    const row = envType === undefined
      ? await this.one(`SELECT * FROM data_sources WHERE project_id = ? AND name = ? ORDER BY env_type DESC LIMIT 1`, [projectId, name])
      : await this.one(`SELECT * FROM data_sources WHERE project_id = ? AND name = ? AND env_type = ?`, [projectId, name, envType]);
    return this.mapDataSource(row);
  }
  async updateDataSource(id: number, patch: Partial<Pick<DataSourceRecord, 'content' | 'description' | 'envType' | 'status'>>) {
    const sets: string[] = [];
    const args: unknown[] = [];
    if (patch.content !== undefined) { sets.push('content = ?', 'sealed = 1'); args.push(this.sealContent(id, JSON.stringify(patch.content))); }
    if (patch.description !== undefined) { sets.push('description = ?'); args.push(patch.description); }
    if (patch.envType !== undefined) { sets.push('env_type = ?'); args.push(patch.envType); }
    if (patch.status !== undefined) { sets.push('status = ?'); args.push(patch.status); }
    sets.push('modified_at = ?');
    await this.db.run(`UPDATE data_sources SET ${sets.join(', ')} WHERE id = ?`, [...args, Date.now(), id]);
  }
  async deleteDataSource(id: number) {
    await this.db.run(`DELETE FROM data_sources WHERE id = ?`, [id]);
  }
  async listDataSources(projectId: number, f: DataSourceFilter, offset: number, limit: number) {
    const conds = ['project_id = ?'];
    const args: unknown[] = [projectId];
    if (f.name !== undefined) { conds.push(`name ${this.db.dialect.ilike} ? ESCAPE '\\'`); args.push(`%${escapeLike(f.name)}%`); }
    if (f.dataSourceType !== undefined) { conds.push('data_source_type = ?'); args.push(f.dataSourceType); }
    if (f.subType !== undefined) { conds.push('sub_type = ?'); args.push(f.subType); }
    if (f.envType !== undefined) { conds.push('env_type = ?'); args.push(f.envType); }
    if (f.status !== undefined) { conds.push('status = ?'); args.push(f.status); }
    const { total, rows } = await selectPage(this.db, '*', `FROM data_sources WHERE ${conds.join(' AND ')}`, 'id', args, offset, limit);
    return { total, items: rows.map((r) => this.mapDataSource(r)!) };
  }

  // ---- task files

  async createTaskFile(f: NewTaskFile): Promise<TaskFileRecord> {
    return this.db.transaction(async (tx) => {
      const now = Date.now();
      const id = await this.nextId(tx, 'task_files', ID_SEQUENCES.task_files);
      await tx.run(`INSERT INTO task_files(id, project_id, name, file_type, task_type, folder_path, content, version,
        owner_principal_id, last_edit_principal_id, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
      [id, f.projectId, f.name, f.fileType, f.taskType, f.folderPath, f.content, f.ownerPrincipalId, f.ownerPrincipalId, now, now]);
      await tx.run(`INSERT INTO task_runtime(file_id, status, message, desired, start_param, fence, resources_created, updated_at)
        VALUES (?, 'NORUN', NULL, 'STOP', NULL, 0, 0, ?)`, [id, now]);
      return { ...f, id, version: 1, deployedContent: null, deployedVersion: null, lastEditPrincipalId: f.ownerPrincipalId, createdAt: now, modifiedAt: now };
    });
  }
  async getTaskFile(id: number) {
    return mapTaskFile(await this.one(`SELECT * FROM task_files WHERE id = ?`, [id]));
  }
  async findTaskFileByName(projectId: number, name: string) {
    return mapTaskFile(await this.one(`SELECT * FROM task_files WHERE project_id = ? AND name = ?`, [projectId, name]));
  }
  async updateTaskFileContent(id: number, content: string, editorPrincipalId: string) {
    await this.db.run(`UPDATE task_files SET content = ?, version = version + 1, listing_rev = listing_rev + 1, last_edit_principal_id = ?, modified_at = ? WHERE id = ?`,
      [content, editorPrincipalId, Date.now(), id]);
  }
  async setDeployed(id: number, content: string | null, version: number | null) {
    await this.db.run(`UPDATE task_files SET deployed_content = ?, deployed_version = ?, listing_rev = listing_rev + 1 WHERE id = ?`, [content, version, id]);
  }
  async deleteTaskFile(id: number) {
    await this.db.run(`DELETE FROM task_files WHERE id = ?`, [id]);
  }
  async listTaskFiles(projectId: number, f: TaskFileFilter, offset: number, limit: number) {
    const conds = ['project_id = ?'];
    const args: unknown[] = [projectId];
    if (f.keyword !== undefined) { conds.push(`name ${this.db.dialect.ilike} ? ESCAPE '\\'`); args.push(`%${escapeLike(f.keyword)}%`); }
    if (f.exactName !== undefined) { conds.push('name = ?'); args.push(f.exactName); }
    if (f.owner !== undefined) { conds.push('owner_principal_id = ?'); args.push(f.owner); }
    // One type (the usual real-time listing) as `=`, so the (project, type, id) index hands rows out in id order, unsorted.
    if (f.fileTypes?.length === 1) { conds.push('file_type = ?'); args.push(f.fileTypes[0]); }
    else if (f.fileTypes) { conds.push(this.db.dialect.inJsonIntegers('file_type')); args.push(JSON.stringify(f.fileTypes)); }
    if (f.fileIds) { conds.push(this.db.dialect.inJsonIntegers('id')); args.push(JSON.stringify(f.fileIds)); }
    if (f.folderPath !== undefined) {
      // Exact and case-sensitive (LIKE would fold ASCII case).
      const prefix = `${f.folderPath}/`;
      conds.push(`(folder_path = ? OR substr(folder_path, 1, ?) = ?)`);
      args.push(f.folderPath, prefix.length, prefix);
    }
    const { total, rows } = await selectPage(this.db, '*', `FROM task_files WHERE ${conds.join(' AND ')}`, 'id', args, offset, limit);
    return { total, items: rows.map((r) => mapTaskFile(r)!) };
  }
  async countTaskFilesReferencing(projectId: number, dataSourceName: string): Promise<number> {
    // Data source names appear in task content as "datasource":"<name>"; JSON escapes keep this exact.
    const needle = `%"datasource":${JSON.stringify(dataSourceName)}%`;
    return (await this.one(`SELECT COUNT(*) AS n FROM task_files WHERE project_id = ? AND (content LIKE ? OR deployed_content LIKE ?)`,
      [projectId, needle, needle]))!.n;
  }

  // ---- runtime

  async getTaskRuntime(fileId: number): Promise<TaskRuntimeRecord> {
    const r = mapRuntime(await this.one(`SELECT * FROM task_runtime WHERE file_id = ?`, [fileId]));
    if (!r) throw new Error(`no runtime row for task ${fileId}`);
    return r;
  }
  async mutateTaskRuntime(fileId: number, fn: (r: TaskRuntimeRecord) => Partial<TaskRuntimeRecord>): Promise<TaskRuntimeRecord> {
    return this.db.transaction(async (tx) => {
      const cur = mapRuntime((await tx.query(`SELECT * FROM task_runtime WHERE file_id = ?${this.db.dialect.forUpdate}`, [fileId]))[0]);
      if (!cur) throw new Error(`no runtime row for task ${fileId}`);
      const next: TaskRuntimeRecord = { ...cur, ...fn(cur), fileId, updatedAt: Date.now() };
      await tx.run(`UPDATE task_runtime SET status = ?, message = ?, desired = ?, start_param = ?, fence = ?, resources_created = ?,
        progress = ?, instance_id = ?, updated_at = ? WHERE file_id = ?`,
      [next.status, next.message, next.desired, next.startParam, next.fence, next.resourcesCreated ? 1 : 0,
        next.progress ? JSON.stringify(next.progress) : null, next.instanceId, next.updatedAt, fileId]);
      return next;
    });
  }
  async nextInstanceId(): Promise<number> {
    return (await this.db.query(`UPDATE instance_counter SET last = last + 1 WHERE id = 1 RETURNING last`))[0].last;
  }
  async listTaskRuntimes(f: { desired?: 'RUN' | 'STOP' }): Promise<TaskRuntimeRecord[]> {
    const rows = f.desired
      ? await this.db.query(`SELECT * FROM task_runtime WHERE desired = ? ORDER BY file_id`, [f.desired])
      : await this.db.query(`SELECT * FROM task_runtime ORDER BY file_id`);
    return rows.map((r) => mapRuntime(r)!);
  }

  // ---- 2024 DI jobs

  async putDIJob(j: Pick<DIJobRecord, 'fileId' | 'document' | 'fileSpec' | 'fileVersion'>): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run(`INSERT INTO di_jobs(file_id, document, file_spec, file_version) VALUES (?, ?, ?, ?)
        ON CONFLICT(file_id) DO UPDATE SET document = excluded.document, file_spec = excluded.file_spec, file_version = excluded.file_version`,
      [j.fileId, j.document, j.fileSpec, j.fileVersion]);
      // The job's listed fields may have changed: its ListDIJobs row is stale now.
      await tx.run(`UPDATE task_files SET listing_rev = listing_rev + 1 WHERE id = ?`, [j.fileId]);
    });
  }
  async getDIJob(fileId: number): Promise<DIJobRecord | undefined> {
    return mapDIJob(await this.one(`SELECT * FROM di_jobs WHERE file_id = ?`, [fileId]));
  }
  async staleJobListings(projectId: number, fileType: number, limit: number): Promise<StaleJobListing[]> {
    return staleJobListings(this.db, projectId, fileType, limit);
  }
  async putJobListings(rows: JobListingRecord[]): Promise<void> {
    await putJobListings(this.db, rows);
  }
  async listJobListings(projectId: number, fileType: number, filter: JobListingFilter, offset: number, limit: number): Promise<Page<ListedJob>> {
    return listJobListings(this.db, projectId, fileType, filter, offset, limit);
  }
  async claimDIJobRun(fileId: number, instanceId: number): Promise<{ document: string; rerun: boolean } | undefined> {
    return this.db.transaction(async (tx) => {
      // A new instance takes the current document, and a pending rerun (-1) becomes its own.
      await tx.run(`UPDATE di_jobs SET run_document = document, run_instance_id = ?,
        rerun_instance_id = CASE WHEN rerun_instance_id = -1 THEN ? ELSE rerun_instance_id END
        WHERE file_id = ? AND run_instance_id <> ?`, [instanceId, instanceId, fileId, instanceId]);
      const [r] = await tx.query(`SELECT run_document, rerun_instance_id FROM di_jobs WHERE file_id = ?`, [fileId]);
      return r && { document: r.run_document as string, rerun: r.rerun_instance_id === instanceId };
    });
  }
  async markDIJobRerun(fileId: number): Promise<void> {
    await this.db.run(`UPDATE di_jobs SET rerun_instance_id = -1 WHERE file_id = ?`, [fileId]);
  }

  // ---- config processes

  async createConfigProcess(p: Omit<ConfigProcessRecord, 'id' | 'createdAt'>): Promise<ConfigProcessRecord> {
    return this.db.transaction(async (tx) => {
      const id = await this.nextId(tx, 'config_processes', ID_SEQUENCES.config_processes);
      const createdAt = Date.now();
      await tx.run(`INSERT INTO config_processes(id, project_id, kind, task_id, status, message, task_content, created_at, node_key)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [id, p.projectId, p.kind, p.taskId, p.status, p.message, p.taskContent, createdAt, p.nodeKey]);
      return { ...p, id, createdAt };
    });
  }
  async finishConfigProcess(id: number, status: 'success' | 'fail', message: string | null, taskContent: string | null) {
    // Only a running process: one failed meanwhile (its node was seen dead, reconciler.ts) stays failed.
    await this.db.run(`UPDATE config_processes SET status = ?, message = ?, task_content = ? WHERE id = ? AND status = 'running'`, [status, message, taskContent, id]);
  }
  async failRunningConfigProcesses(message: string): Promise<number> {
    return this.db.run(`UPDATE config_processes SET status = 'fail', message = ? WHERE status = 'running'`, [message]);
  }
  async failConfigProcessesOfDeadNodes(liveNodeKeys: string[], message: string): Promise<number> {
    if (liveNodeKeys.length === 0) return 0; // no live node known: nothing can be told apart
    return this.db.run(`UPDATE config_processes SET status = 'fail', message = ?
      WHERE status = 'running' AND node_key IS NOT NULL AND node_key NOT IN (${liveNodeKeys.map(() => '?').join(', ')})`, [message, ...liveNodeKeys]);
  }
  async getConfigProcess(id: number): Promise<ConfigProcessRecord | undefined> {
    const r = await this.one(`SELECT * FROM config_processes WHERE id = ?`, [id]);
    return r && { id: r.id, projectId: r.project_id, kind: r.kind, taskId: r.task_id, status: r.status, message: r.message, taskContent: r.task_content, createdAt: r.created_at, nodeKey: r.node_key ?? null };
  }

  // ---- client tokens

  async claimClientToken(k: ClientTokenKey, requestHash: string, nowMs: number, expiresAtMs: number): Promise<ClientTokenClaim> {
    return this.db.transaction(async (tx): Promise<ClientTokenClaim> => {
      await tx.run(`DELETE FROM client_tokens WHERE expires_at < ?`, [nowMs]);
      const inserted = await tx.run(`INSERT INTO client_tokens(principal_id, action, token, request_hash, response, created_at, expires_at)
        VALUES (?, ?, ?, ?, NULL, ?, ?) ON CONFLICT DO NOTHING`, [k.principalId, k.action, k.token, requestHash, nowMs, expiresAtMs]);
      if (inserted === 1) return { claimed: true };
      const [r] = await tx.query(`SELECT * FROM client_tokens WHERE principal_id = ? AND action = ? AND token = ?`, [k.principalId, k.action, k.token]);
      return { claimed: false, requestHash: r.request_hash, response: r.response, createdAt: r.created_at };
    });
  }
  async completeClientToken(k: ClientTokenKey, response: string): Promise<void> {
    await this.db.run(`UPDATE client_tokens SET response = ? WHERE principal_id = ? AND action = ? AND token = ?`, [response, k.principalId, k.action, k.token]);
  }
  async releaseClientToken(k: ClientTokenKey): Promise<void> {
    await this.db.run(`DELETE FROM client_tokens WHERE principal_id = ? AND action = ? AND token = ? AND response IS NULL`, [k.principalId, k.action, k.token]);
  }

  async close(): Promise<void> {
    await this.db.close();
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

function keyContext(accessKeyId: string): string {
  return `access_keys:${accessKeyId}`;
}
