/**
 * A 2024 DI job's pipeline (README, "The 2024-05-18 DI Job API"): the job document the instance
 * runs (an Update takes effect at the next Start: the document is snapshot once per instance,
 * store.claimDIJobRun), its data sources, the source tables its selection rules pick from the
 * source catalog now, the transformation stage, the tables to copy that earlier runs did not
 * load, live pickup of new tables (when CreateTable DDL is Normal) and ForceToRerun's recreation
 * of the target tables. Tasks that are not jobs (or whose job document a 2020 update made stale)
 * get undefined and are built the 2020 way (pipeline-factory.ts).
 */
import type { CatalogStore, TaskFileRecord } from '../../store/catalog-store.ts';
import type { PipelineSpec } from '../../engine/pipeline.ts';
import { UnrecoverableError } from '../../engine/errors.ts';
import type { DdlMark, DdlType } from '../../domain/start-param.ts';
import type { JobDocument } from '../../domain/di-job/job-document.ts';
import { compileJobPlan } from '../../domain/di-job/job-plan.ts';
import { currentJobOf } from '../../domain/di-job/job-of-task.ts';
import { DESTINATION_TYPES, SOURCE_TYPES, findEndpointType } from '../../domain/di-job/job-types.ts';
import { DEFAULT_DDL_MARKS } from '../../domain/start-param.ts';
import { NO_RULES } from '../../engine/transform/table-rules.ts';
import { findJobDataSource } from './job-data-sources.ts';
import { listSourceCatalog, selectionProblem, selectTables } from './resolve-tables.ts';
import { createTableChecks } from './table-checks.ts';

export type JobPipelineParts = Pick<PipelineSpec, 'taskId' | 'source' | 'target' | 'initialLoad' | 'transform' | 'loadTables' | 'recreateTargets' | 'tableProgress'>
  & { ddlMarkMap: Partial<Record<DdlType, DdlMark>> };

export interface JobPipelineContext {
  store: CatalogStore;
  file: TaskFileRecord;
  resourcesCreated: boolean;
  /** Replication slot and publication name (PostgreSQL source). */
  resourcePrefix: string;
  /** The catalog's installation: half of the target checkpoint's key (docs/target-checkpoint.md). */
  installationId: string;
  /** Binlog replica id (MySQL source). */
  serverId: number;
  /** For releasing the task's resources only: no catalog, no snapshot. */
  release?: boolean;
}

/** The job document while no 2020 update came after it (job-of-task.ts currentJobOf). */
export async function currentJobDocument(store: CatalogStore, file: TaskFileRecord): Promise<JobDocument | undefined> {
  return currentJobOf(file, await store.getDIJob(file.id));
}

export async function jobPipelineParts(ctx: JobPipelineContext): Promise<JobPipelineParts | undefined> {
  const { store, file } = ctx;
  const row = await store.getDIJob(file.id);
  if (!row || row.fileVersion !== file.deployedVersion) return undefined;
  const rt = await store.getTaskRuntime(file.id);
  const run = ctx.release ? { document: row.document, rerun: false } : await store.claimDIJobRun(file.id, rt.instanceId);
  if (!run) return undefined;
  const doc = JSON.parse(run.document) as JobDocument;

  const sourceType = findEndpointType(SOURCE_TYPES, doc.SourceDataSourceType)!;
  const destType = findEndpointType(DESTINATION_TYPES, doc.DestinationDataSourceType)!;
  const source = await findJobDataSource(store, file.projectId, doc.SourceDataSourceSettings[0].DataSourceName, sourceType, 'source');
  if (typeof source === 'string') throw new UnrecoverableError(source);
  const target = await findJobDataSource(store, file.projectId, doc.DestinationDataSourceSettings[0].DataSourceName, destType, 'destination');
  if (typeof target === 'string') throw new UnrecoverableError(target);

  const plan = compileJobPlan(doc, source.endpoint.database);
  const marks = { ...DEFAULT_DDL_MARKS, ...plan.engine.ddlMarkMap };
  const selects = marks.CREATETABLE === 'NORMAL' ? (t: { schema: string; table: string }) => plan.select(t) !== undefined : undefined;
  let tables: { schema: string; table: string }[] = [];
  if (!ctx.release) {
    const selection = selectTables(await listSourceCatalog(source.protocol, source.endpoint), plan);
    const problem = selectionProblem(selection, plan);
    if (problem) throw new UnrecoverableError(problem);
    tables = selection.tables;
  }
  const previous = rt.progress?.tables;
  const nameOf = (t: { schema: string; table: string }) => `${t.schema}.${t.table}`;
  return {
    taskId: file.id,
    initialLoad: plan.initialLoad,
    source: source.protocol === 'postgresql'
      ? { kind: 'postgresql', endpoint: source.endpoint, slotName: ctx.resourcePrefix, publicationName: ctx.resourcePrefix, tables, resourcesCreated: ctx.resourcesCreated, selects }
      : { kind: 'mysql', endpoint: source.endpoint, serverId: ctx.serverId, tables, resourcesCreated: ctx.resourcesCreated, selects },
    // The transformation stage names every target table itself.
    target: { kind: target.protocol, endpoint: target.endpoint, schema: null, installationId: ctx.installationId, lanes: plan.engine.lanes },
    transform: {
      naming: {
        sourceDataSource: plan.sourceDataSource, sourceDatabase: source.endpoint.database, sourceProtocol: source.protocol,
        targetDataSource: plan.destinationDataSource, targetDatabase: target.endpoint.database, targetProtocol: target.protocol,
      },
      typeOverrides: plan.engine.typeOverrides,
      rulesFor: (t) => plan.select(t) ?? NO_RULES,
      checkTable: createTableChecks({
        source: { kind: source.protocol, endpoint: source.endpoint },
        target: { kind: target.protocol, endpoint: target.endpoint },
        autoCreateSchema: plan.engine.autoCreateSchema,
      }),
    },
    // Tables an earlier run did not load completely (selected since, or a load cut short).
    loadTables: plan.initialLoad ? tables.filter((t) => previous?.[nameOf(t)]?.full !== 'Finished') : [],
    recreateTargets: run.rerun,
    tableProgress: previous,
    ddlMarkMap: plan.engine.ddlMarkMap,
  };
}
