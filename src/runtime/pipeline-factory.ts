/**
 * Turns a deployed task (its script, its data sources, its runtime state, the StartParam rules)
 * into an engine pipeline, and releases a task's engine resources (replication slot,
 * publication, target checkpoint).
 */
import type { Logger } from '../logger.ts';
import type { CatalogStore } from '../store/catalog-store.ts';
import { endpointOf } from '../domain/data-source-content.ts';
import { TaskContentError, parseRealtimeTask, resolveReaderTables } from '../domain/task-content.ts';
import { DEFAULT_DDL_MARKS } from '../domain/start-param.ts';
import { Pipeline, UnrecoverableError, fenceTarget, releaseTaskResources, type DbEndpoint, type PipelineSpec } from '../engine/pipeline.ts';
import type { PipelineCallbacks, RunnablePipeline, TaskRules } from './runnable-pipeline.ts';
import { workspaceDdlMarks } from './workspace-ddl-defaults.ts';
import { jobPipelineParts, type JobPipelineParts } from './di-job/job-pipeline-spec.ts';
import type { HostAllowList } from '../config/host-allow-list.ts';
import { toDbEndpoint } from './db-endpoint.ts';
import { TargetPools } from '../engine/sinks/target-pools.ts';
import { SourceControlPools } from '../engine/sources/postgres/control-pools.ts';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from '../engine/connection-pool.ts';

export interface PipelineFactory {
  create(taskId: number, fence: number, resourcesCreated: boolean, callbacks: PipelineCallbacks, rules: TaskRules): Promise<RunnablePipeline>;
  /**
   * Releases what the task holds outside the catalog: its checkpoint and dirty records in the
   * target, and with `source` its source-side resources (replication slot, publication).
   */
  release(taskId: number, what?: { source: boolean; tombstone?: number }): Promise<void>;
  /**
   * Cluster forced stop: raises the target checkpoint's fence so an unresponsive owner cannot commit
   * again; a target session of `unresponsiveNode` (its name) holding the checkpoint row is ended.
   */
  fenceTarget(taskId: number, fence: number, unresponsiveNode?: string | null): Promise<void>;
  isUnrecoverable(err: unknown): boolean;
}

export interface EngineSettings {
  batchMaxRows?: number;
  batchMaxDelayMs?: number;
  /** The source stall bound in ms (engine default when absent; see the sources). */
  sourceStallAfterMs?: number;
  /** How often an idle task commits the source's caught-up position (PipelineSpec.idleCheckpointMs). */
  idleCheckpointMs?: number;
  /** The operator's allow-list, checked again (after DNS resolution) each time a task connects. */
  allowedHosts?: HostAllowList;
  allowCleartextPassword?: boolean;
  /** The shared target pools' bounds (connections per target data source, waits, idle close). */
  targetPool?: Partial<PoolOptions>;
  /** The shared control pools' bounds of PostgreSQL sources (connections per source data source). */
  sourcePool?: Partial<PoolOptions>;
  /** In a cluster: this node's name; every connection of a task is then named `opendi:<node>:<task>`. */
  nodeName?: string;
}

/** Binlog replica ids of our tasks: far above the small ids servers and real replicas use. */
const MYSQL_SERVER_ID_BASE = 1_000_000_000;

type Endpoints = Pick<PipelineSpec, 'taskId' | 'source' | 'target' | 'initialLoad'> & Partial<JobPipelineParts>;

export function createPipelineFactory(store: CatalogStore, logger: Logger, settings: EngineSettings = {}): PipelineFactory {
  // Target writes and checkpoint statements of every task share one bounded pool per target data source.
  const pools = new TargetPools(logger.child({ component: 'target-pools' }), { ...DEFAULT_POOL_OPTIONS, ...settings.targetPool },
    settings.nodeName ? `opendi:${settings.nodeName}:target-pool` : undefined);
  // The catalog queries, probes and initial-load reads of every task reading one PostgreSQL source share one bounded pool too.
  const sourcePools = new SourceControlPools(logger.child({ component: 'source-pools' }), { ...DEFAULT_POOL_OPTIONS, ...settings.sourcePool },
    settings.nodeName ? `opendi:${settings.nodeName}:source-pool` : undefined);
  async function endpointsFor(taskId: number, resourcesCreated: boolean, release = false): Promise<Endpoints> {
    const file = await store.getTaskFile(taskId);
    const content = file?.deployedContent ?? file?.content;
    if (!file || content == null) throw new UnrecoverableError(`task ${taskId} has no deployed definition`);
    const installationId = await store.installationId();
    const resourcePrefix = `opendi_${installationId}_${taskId}`.toLowerCase();
    // A 2024 DI job: its job document defines the pipeline (src/runtime/di-job/).
    const job = await jobPipelineParts({ store, file, resourcesCreated, resourcePrefix, installationId, serverId: MYSQL_SERVER_ID_BASE + taskId, release });
    if (job) return job;
    const def = parseRealtimeTask(content);
    const endpoint = async (name: string, kind: string): Promise<DbEndpoint> => {
      const ds = await store.findDataSourceByName(file.projectId, name);
      if (!ds) throw new UnrecoverableError(`data source ${name} no longer exists in workspace ${file.projectId}`);
      const e = endpointOf(ds.content);
      if (e.kind !== kind) throw new UnrecoverableError(`data source ${name} is ${e.kind} but the task uses it as ${kind}`);
      let host = e.host;
      if (settings.allowedHosts) {
        const addresses = await settings.allowedHosts.resolve(e.host);
        if (!addresses) throw new UnrecoverableError(`data source ${name} points at a host the operator's allow-list does not include`);
        if (!e.tls) host = addresses[0]; // without TLS, connect to the address that was checked
      }
      return toDbEndpoint(e, settings.allowCleartextPassword ?? false, host);
    };
    const sourceEndpoint = await endpoint(def.reader.datasource, def.reader.kind);
    const targetEndpoint = await endpoint(def.writer.datasource, def.writer.kind);
    const prefix = resourcePrefix;
    // A MySQL table named without its database is in the reader data source's database, as in the config check.
    const tables = resolveTables(def, sourceEndpoint.database);
    return {
      taskId,
      initialLoad: def.initialLoad,
      source: def.reader.kind === 'postgresql'
        ? {
          kind: 'postgresql', endpoint: sourceEndpoint, slotName: prefix, tables, resourcesCreated,
          publicationName: def.reader.publication ?? prefix, externalPublication: def.reader.publication !== undefined,
        }
        : { kind: 'mysql', endpoint: sourceEndpoint, serverId: MYSQL_SERVER_ID_BASE + taskId, tables, resourcesCreated },
      target: {
        kind: def.writer.kind, endpoint: targetEndpoint, installationId,
        // MySQL has one namespace per database: tables go into the target data source's database.
        // PostgreSQL keeps a PostgreSQL source's schemas; a MySQL source's tables go to public.
        schema: def.writer.schema ?? (def.writer.kind === 'mysql' ? targetEndpoint.database : def.reader.kind === 'mysql' ? 'public' : null),
        // Releasing only discards the checkpoint: a bad lane setting must not keep a task from Terminate.
        lanes: release ? 1 : def.lanes,
      },
    };
  }

  return {
    async create(taskId, fence, resourcesCreated, callbacks, rules) {
      const endpoints = named(await endpointsFor(taskId, resourcesCreated), settings.nodeName);
      // The Start's StartParam.ddlMarkMap over the job's DdlHandlingSettings over the workspace
      // default (UpdateDIProjectConfig, which starts from DEFAULT_DDL_MARKS).
      const projectId = (await store.getTaskFile(taskId))?.projectId ?? 0;
      const defaults = projectId ? await workspaceDdlMarks(store, projectId, endpoints.source.kind, endpoints.target.kind) : DEFAULT_DDL_MARKS;
      // What earlier instances recorded, so a resumed task keeps its full-load counts (Stop/Start).
      const kept = (await store.getTaskRuntime(taskId)).progress;
      const spec: PipelineSpec = {
        ...endpoints,
        source: endpoints.source.kind === 'postgresql' ? { ...endpoints.source, controlPools: sourcePools } : endpoints.source,
        target: { ...endpoints.target, pools },
        tableProgress: endpoints.tableProgress ?? kept?.tables,
        loadedBefore: kept ? { rows: kept.rowsLoaded, tables: kept.tablesLoaded } : undefined,
        fence,
        errorLimit: rules.errorLimit,
        ddlMarks: { ...defaults, ...endpoints.ddlMarkMap, ...rules.ddlMarkMap },
        startFrom: rules.startFrom ?? undefined,
        batch: { maxRows: settings.batchMaxRows, maxDelayMs: settings.batchMaxDelayMs },
        sourceStallAfterMs: settings.sourceStallAfterMs,
        idleCheckpointMs: settings.idleCheckpointMs,
      };
      return new Pipeline(spec, callbacks, logger.child({ taskId }));
    },
    async release(taskId, what = { source: true }) {
      const log = logger.child({ taskId });
      let endpoints: Endpoints;
      try {
        endpoints = await endpointsFor(taskId, true, true);
      } catch (err) {
        // Only a checkpoint to discard, and its data source or definition is gone: nothing can be
        // reached. The row left behind is harmless (ids are never reused; rows are per installation).
        if (what.source || !(err instanceof UnrecoverableError)) throw err;
        log.warn('the target checkpoint could not be discarded: the task definition or data source is gone', { error: err.message });
        return;
      }
      await releaseTaskResources({ ...endpoints, target: { ...endpoints.target, pools } }, log, what);
    },
    async fenceTarget(taskId, fence, unresponsiveNode = null) {
      const endpoints = await endpointsFor(taskId, true, true);
      await fenceTarget(endpoints, fence, logger.child({ taskId }), unresponsiveNode);
    },
    isUnrecoverable: (err) => err instanceof UnrecoverableError,
  };
}

/** `opendi:<node>:<task>` on both endpoints (PostgreSQL application_name, MySQL program_name). */
function named(e: Endpoints, nodeName: string | undefined): Endpoints {
  if (!nodeName) return e;
  const connectionName = `opendi:${nodeName}:${e.taskId}`;
  return {
    ...e,
    source: { ...e.source, endpoint: { ...e.source.endpoint, connectionName } } as Endpoints['source'],
    target: { ...e.target, endpoint: { ...e.target.endpoint, connectionName } },
  };
}

function resolveTables(def: ReturnType<typeof parseRealtimeTask>, database: string) {
  try {
    return resolveReaderTables(def, database);
  } catch (err) {
    if (err instanceof TaskContentError) throw new UnrecoverableError(err.message);
    throw err;
  }
}
