/**
 * The catalog port: everything OpenDI remembers about principals, workspaces, data sources,
 * task files and task runtime state. Async so that a shared PostgreSQL catalog can implement it
 * later; the embedded default is SQLite (./sqlite/).
 *
 * Contract: every method is atomic; `mutateTaskRuntime` runs its function inside one transaction
 * so read-modify-write of a task's runtime row cannot interleave with another writer.
 * - Ids are never reused: each kind of catalog id comes from its own persistent counter
 *   (`allocateId`), never from MAX(id)+1, so a deleted row's id never names a new one.
 * - Secrets (data source Content, AccessKey secrets) are sealed at rest by the adapter with the
 *   SecretBox it was given (AES-256-GCM, key outside the catalog); callers see clear values.
 * - A unique constraint violated by a write throws UniqueViolationError naming the constraint.
 */
import type { TaskStatus } from '../domain/task-status.ts';
import type { TableProgress } from '../engine/table-progress.ts';
import type { MonitoringStore } from './monitoring-store.ts';

export interface PrincipalRecord { id: string; name: string; isAdmin: boolean; disabled: boolean; createdAt: number }
/**
 * Where a key came from: `env` (OPENDI_ACCESS_KEY_ID/SECRET; a new one replaces the previous),
 * `file` (the data dir's admin-access-key.json), `issued` (`opendi principal create`), `legacy`
 * (stored before origins were recorded).
 */
export type AccessKeyOrigin = 'env' | 'file' | 'issued' | 'legacy';
export interface AccessKeyRecord { accessKeyId: string; secret: string; principalId: string; origin?: AccessKeyOrigin }
/** What `opendi principal keys` shows: never the secret. */
export interface AccessKeyInfo { accessKeyId: string; principalId: string; origin: AccessKeyOrigin; createdAt: number | null; revokedAt: number | null }

/** Catalog id counters and the first id each hands out (ids look like DataWorks ids). */
export const ID_SEQUENCES = {
  projects: 10000,
  data_sources: 1000,
  task_files: 100000,
  config_processes: 1,
} as const;

/** A write hit a unique constraint: `constraint` says which (e.g. 'data_sources.name'). */
export class UniqueViolationError extends Error {
  constructor(readonly constraint: string) {
    super(`unique constraint ${constraint} violated`);
    this.name = 'UniqueViolationError';
  }
}

export interface ProjectRecord {
  id: number; identifier: string; name: string; description: string;
  ownerPrincipalId: string; tags: { Key: string; Value: string }[];
  disableDevelopment: boolean; isAllowDownload: number; projectMode: number;
  resourceGroupId: string; createdAt: number; modifiedAt: number;
}
export type NewProject = Omit<ProjectRecord, 'id' | 'createdAt' | 'modifiedAt'>;

export interface DataSourceRecord {
  id: number; projectId: number; name: string; dataSourceType: string; subType: string;
  envType: number; description: string; content: Record<string, unknown>; status: string;
  ownerPrincipalId: string; createdAt: number; modifiedAt: number;
}
export type NewDataSource = Omit<DataSourceRecord, 'id' | 'createdAt' | 'modifiedAt'>;

export interface TaskFileRecord {
  id: number; projectId: number; name: string; fileType: number; taskType: string;
  folderPath: string; content: string; version: number;
  deployedContent: string | null; deployedVersion: number | null;
  ownerPrincipalId: string; lastEditPrincipalId: string; createdAt: number; modifiedAt: number;
}
export type NewTaskFile = Pick<TaskFileRecord, 'projectId' | 'name' | 'fileType' | 'taskType' | 'folderPath' | 'content' | 'ownerPrincipalId'>;

export interface TaskRuntimeRecord {
  fileId: number; status: TaskStatus; message: string | null;
  /** What the operator asked for last; a restarted service starts tasks whose desired state is RUN. */
  desired: 'RUN' | 'STOP';
  startParam: string | null;
  /** Grows on every start; the sink fences out commits of older owners. */
  fence: number;
  /** Source-side resources (replication slot, publication) exist for this task. */
  resourcesCreated: boolean;
  /** What the pipeline last reported, kept for when it is not running. */
  progress: TaskProgress | null;
  /** The current (or last) instance: a new one at every Start; 0 = never started. Never reused. */
  instanceId: number;
  updatedAt: number;
}

export interface TaskProgress {
  phase: 'full load' | 'incremental' | null;
  dirtyRecords: number;
  rowsLoaded: number;
  tablesLoaded: number;
  alertCount: number;
  /** The latest alerts (skipped schema changes marked WARNING). */
  alerts: { at: string; type: string; table: string; message: string }[];
  /** Per source table (schema.table): structure, full load, streaming (ListDIJobRunDetails). */
  tables?: Record<string, TableProgress>;
}

/** A 2024 DI job's definition (the task file is the job; see src/domain/di-job/). */
export interface DIJobRecord {
  fileId: number;
  /** The JobDocument, JSON. */
  document: string;
  /** FileSpec as sent, when the job was defined in script mode (ListDIJobs SpecType FILESPEC). */
  fileSpec: string | null;
  /** The task file version the document belongs to; a later 2020 update of the file makes it stale. */
  fileVersion: number;
  /** The instance that runs `runDocument` (0: none yet). */
  runInstanceId: number;
  runDocument: string | null;
  /** The instance started with ForceToRerun; -1: the next instance to start. */
  rerunInstanceId: number;
}

/**
 * What ListDIJobs filters a job by, as the actions derive it from the task file and its job document
 * (src/actions/jobs/job-listing.ts); `rev` is the file's listing revision it was derived from.
 */
export interface JobListingRecord {
  fileId: number; rev: number; name: string;
  /** Lower case, so the type filters compare case-insensitively. */
  sourceType: string; destinationType: string; migrationType: string;
  specType: 'FILESPEC' | 'CLASSIC';
}
/** A task whose listing row is missing or older than its file: what the actions need to derive it. */
export interface StaleJobListing { file: TaskFileRecord; job: DIJobRecord | undefined; rev: number }
/** One job of a ListDIJobs page: its file, job row and run status, read with the page (no reads per job). */
export interface ListedJob { file: TaskFileRecord; job: DIJobRecord | undefined; status: TaskStatus }
export interface JobListingFilter { name?: string; sourceType?: string; destinationType?: string; migrationType?: string; specType?: 'FILESPEC' | 'CLASSIC' }

export interface ConfigProcessRecord {
  id: number; projectId: number; kind: 'create' | 'update'; taskId: number | null;
  status: 'running' | 'success' | 'fail'; message: string | null; taskContent: string | null; createdAt: number;
  /** The cluster node (its key) whose worker runs the process; null in a single process. */
  nodeKey: string | null;
}

export interface Page<T> { items: T[]; total: number }

export interface TaskFileFilter { keyword?: string; exactName?: string; fileTypes?: number[]; fileIds?: number[]; owner?: string; folderPath?: string }

/** A create request's ClientToken, per caller and action (src/actions/client-token.ts). */
export interface ClientTokenKey { principalId: string; action: string; token: string }
/** What a claim found: nothing (the caller now owns the token) or the earlier request's record. */
export type ClientTokenClaim =
  | { claimed: true }
  | { claimed: false; requestHash: string; response: string | null; createdAt: number };

export interface CatalogStore {
  installationId(): Promise<string>;
  /**
   * The next id of a kind (a key of ID_SEQUENCES, or any new kind with its own `first`): one
   * persistent counter per kind, so an id is handed out once, even after its row is deleted.
   */
  allocateId(kind: string, first: number): Promise<number>;
  /** Metric history, task events, instance logs, alarm rules (monitoring-store.ts). */
  readonly monitoring: MonitoringStore;

  createPrincipal(name: string, isAdmin: boolean): Promise<PrincipalRecord>;
  findPrincipalByName(name: string): Promise<PrincipalRecord | undefined>;
  getPrincipal(id: string): Promise<PrincipalRecord | undefined>;
  updatePrincipal(id: string, patch: Partial<Pick<PrincipalRecord, 'isAdmin' | 'disabled'>>): Promise<void>;
  /** Adds a key or replaces its secret; a revoked key stays revoked. */
  putAccessKey(key: AccessKeyRecord): Promise<void>;
  /** The key when it exists, is not revoked and its principal is not disabled. */
  findAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  /** Every key of a principal (revoked ones too), oldest first, without secrets. */
  listAccessKeys(principalId: string): Promise<AccessKeyInfo[]>;
  getAccessKeyInfo(accessKeyId: string): Promise<AccessKeyInfo | undefined>;
  /** Marks a key revoked; false when it does not exist or was revoked already. */
  revokeAccessKey(accessKeyId: string): Promise<boolean>;
  /** Records a nonce; false when it was already used and has not expired. */
  claimNonce(accessKeyId: string, nonce: string, expiresAtMs: number, nowMs: number): Promise<boolean>;

  createProject(p: NewProject): Promise<ProjectRecord>;
  getProject(id: number): Promise<ProjectRecord | undefined>;
  findProjectByIdentifier(identifier: string): Promise<ProjectRecord | undefined>;
  listProjects(principalId: string | null, offset: number, limit: number): Promise<Page<ProjectRecord>>;
  grantProject(projectId: number, principalId: string): Promise<void>;
  isProjectMember(projectId: number, principalId: string): Promise<boolean>;

  createDataSource(d: NewDataSource): Promise<DataSourceRecord>;
  getDataSource(id: number): Promise<DataSourceRecord | undefined>;
  /** By exact name; in one environment when `envType` is given, else production (1) first. */
  findDataSourceByName(projectId: number, name: string, envType?: number): Promise<DataSourceRecord | undefined>;
  updateDataSource(id: number, patch: Partial<Pick<DataSourceRecord, 'content' | 'description' | 'envType' | 'status'>>): Promise<void>;
  deleteDataSource(id: number): Promise<void>;
  listDataSources(projectId: number, filter: { name?: string; dataSourceType?: string; subType?: string; envType?: number; status?: string }, offset: number, limit: number): Promise<Page<DataSourceRecord>>;

  createTaskFile(f: NewTaskFile): Promise<TaskFileRecord>;
  getTaskFile(id: number): Promise<TaskFileRecord | undefined>;
  findTaskFileByName(projectId: number, name: string): Promise<TaskFileRecord | undefined>;
  updateTaskFileContent(id: number, content: string, editorPrincipalId: string): Promise<void>;
  setDeployed(id: number, content: string | null, version: number | null): Promise<void>;
  deleteTaskFile(id: number): Promise<void>;
  /** `folderPath` matches the folder itself and everything below it (ListFiles FileFolderPath). */
  listTaskFiles(projectId: number, filter: TaskFileFilter, offset: number, limit: number): Promise<Page<TaskFileRecord>>;
  /** Task files that reference a data source by name (deleting such a source is refused). */
  countTaskFilesReferencing(projectId: number, dataSourceName: string): Promise<number>;

  getTaskRuntime(fileId: number): Promise<TaskRuntimeRecord>;
  mutateTaskRuntime(fileId: number, fn: (r: TaskRuntimeRecord) => Partial<TaskRuntimeRecord>): Promise<TaskRuntimeRecord>;
  /** Allocates the next instance id (global, never reused). */
  nextInstanceId(): Promise<number>;
  listTaskRuntimes(filter: { desired?: 'RUN' | 'STOP' }): Promise<TaskRuntimeRecord[]>;

  /** Creates or replaces a job's definition; the run snapshot is kept. */
  putDIJob(job: Pick<DIJobRecord, 'fileId' | 'document' | 'fileSpec' | 'fileVersion'>): Promise<void>;
  getDIJob(fileId: number): Promise<DIJobRecord | undefined>;
  /**
   * ListDIJobs pages in SQL (issue 14): the tasks of a workspace (of `fileType`) whose listing row
   * is missing or stale (the file or its job changed since), oldest id first, at most `limit`.
   */
  staleJobListings(projectId: number, fileType: number, limit: number): Promise<StaleJobListing[]>;
  /** Stores derived listing rows (a row derived from an older revision than the one stored is ignored). */
  putJobListings(rows: JobListingRecord[]): Promise<void>;
  /**
   * One page of a workspace's jobs (task files of `fileType` with a listing row) in id order: `name`
   * is a case-sensitive substring, the types compare case-insensitively (exactly, lower case).
   */
  listJobListings(projectId: number, fileType: number, filter: JobListingFilter, offset: number, limit: number): Promise<Page<ListedJob>>;
  /**
   * The document instance `instanceId` runs: at its first call for an instance, the current
   * document becomes the run snapshot (atomically); later calls (failover restarts) get the same.
   */
  claimDIJobRun(fileId: number, instanceId: number): Promise<{ document: string; rerun: boolean } | undefined>;
  /** ForceToRerun: the next instance to claim its run (claimDIJobRun) recreates the target tables. */
  markDIJobRerun(fileId: number): Promise<void>;

  createConfigProcess(p: Omit<ConfigProcessRecord, 'id' | 'createdAt'>): Promise<ConfigProcessRecord>;
  /** Records a running process's outcome; a process no longer `running` (failed meanwhile) is left as it is. */
  finishConfigProcess(id: number, status: 'success' | 'fail', message: string | null, taskContent: string | null): Promise<void>;
  getConfigProcess(id: number): Promise<ConfigProcessRecord | undefined>;
  /** Ends every process still `running` as `fail` with this message (start-up: their worker died); returns how many. */
  failRunningConfigProcesses(message: string): Promise<number>;
  /**
   * Ends as `fail` with this message every process still `running` on a cluster node that is not
   * one of `liveNodeKeys` (its worker died with its node); returns how many.
   */
  failConfigProcessesOfDeadNodes(liveNodeKeys: string[], message: string): Promise<number>;

  /**
   * Claims a ClientToken for one request, dropping expired tokens first. Atomic: of concurrent
   * claims of one key exactly one gets `claimed: true`; the others see its record (response null
   * while it is still being answered).
   */
  claimClientToken(key: ClientTokenKey, requestHash: string, nowMs: number, expiresAtMs: number): Promise<ClientTokenClaim>;
  /** Stores the answer of the request that claimed the token. */
  completeClientToken(key: ClientTokenKey, response: string): Promise<void>;
  /** Forgets an unanswered claim (the request failed, so a retry may run it again). */
  releaseClientToken(key: ClientTokenKey): Promise<void>;

  close(): Promise<void>;
}
