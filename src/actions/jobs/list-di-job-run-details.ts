/**
 * ListDIJobRunDetails (2024-05-18; README, "The 2024-05-18 DI Job API"): one row per source table of
 * the job's current (or last) instance, with where it goes, the status and error of its
 * structure migration (target table ready), full migration (copy of the existing rows, with the
 * counts) and real-time migration, as the engine keeps them per table (src/engine/table-progress.ts).
 * Before the first start, the rows are the tables the rules selected at Create/Update, Initialized.
 * PagingInfo's numbers are strings, as the SDK model declares them.
 *
 * Status vocabulary (an UNSURE point): Initialized, Running, Finished, Failed, and for the real-time
 * step also Stopped. A job without a full migration (RealtimeIncremental) reports it Finished with
 * 0 records once streaming. A failed job shows its failure on the real-time step of every table.
 */
import type { Action } from '../action-handler.ts';
import { paramInvalid } from '../../protocol/errors.ts';
import type { TableProgress } from '../../engine/table-progress.ts';
import { parseRealtimeTask, resolveReaderTables } from '../../domain/task-content.ts';
import { jobStatusOf } from '../../domain/di-job/job-status.ts';
import { DESTINATION_TYPES, SOURCE_TYPES, findEndpointType } from '../../domain/di-job/job-types.ts';
import { compileJobPlan } from '../../domain/di-job/job-plan.ts';
import { targetNameOf, type NamingContext } from '../../engine/transform/target-naming.ts';
import { NO_RULES } from '../../engine/transform/table-rules.ts';
import { findJobDataSource } from '../../runtime/di-job/job-data-sources.ts';
import type { ActionDeps } from '../action-deps.ts';
import { paging } from '../access.ts';
import { loadJob } from './load-job.ts';

const FILTERS = [['SourceDataSourceName', 'SourceDatasourceName'], ['SourceDatabaseName', 'SourceDatabaseName'],
  ['SourceSchemaName', 'SourceSchemaName'], ['SourceTableName', 'SourceTableName']] as const;

export const listDIJobRunDetails: Action<'2024-05-18', 'ListDIJobRunDetails'> = async (deps, ctx) => {
  const p = ctx.params;
  const { file, doc } = await loadJob(deps, ctx, p.DIJobId);
  const { pageNumber, pageSize, offset } = paging(p, 10, 100);
  const rt = await deps.lifecycle.runtime(file.id);
  if (p.InstanceId !== undefined && p.InstanceId !== rt.instanceId) {
    throw paramInvalid('InstanceId', `${p.InstanceId} is not the current or last instance of DI job ${file.id}${rt.instanceId ? ` (${rt.instanceId}); run details are kept for that one` : '; it has never been started'}`);
  }
  const status = jobStatusOf(rt.status);
  // Where each table goes: the job's own naming rules (2020 tasks: the defaults).
  const sourceType = findEndpointType(SOURCE_TYPES, doc.SourceDataSourceType);
  const destType = findEndpointType(DESTINATION_TYPES, doc.DestinationDataSourceType);
  const srcName = doc.SourceDataSourceSettings[0]?.DataSourceName ?? '';
  const dstName = doc.DestinationDataSourceSettings[0]?.DataSourceName ?? '';
  const src = sourceType ? await findJobDataSource(deps.store, file.projectId, srcName, sourceType, 'source') : 'unknown';
  const dst = destType ? await findJobDataSource(deps.store, file.projectId, dstName, destType, 'destination') : 'unknown';
  const naming: NamingContext | null = typeof src === 'string' || typeof dst === 'string' ? null : {
    sourceDataSource: srcName, sourceDatabase: src.endpoint.database, sourceProtocol: src.protocol,
    targetDataSource: dstName, targetDatabase: dst.endpoint.database, targetProtocol: dst.protocol,
  };
  const plan = naming ? compileJobPlan(doc, naming.sourceDatabase) : undefined;
  const kept = deps.lifecycle.metrics(file.id)?.tables ?? rt.progress?.tables;
  const tables: Record<string, TableProgress | undefined> = kept && Object.keys(kept).length > 0
    ? kept : Object.fromEntries(initialTables(file.deployedContent ?? file.content, naming?.sourceDatabase ?? '').map((n) => [n, undefined]));

  const rows = Object.entries(tables).map(([name, t]) => {
    const dot = name.indexOf('.');
    const source = { schema: name.slice(0, dot), table: name.slice(dot + 1) };
    let target: { schema: string; table: string } | null = null;
    try { target = naming && targetNameOf(source, plan?.select(source) ?? NO_RULES, naming); } catch { target = null; }
    const mysqlSource = sourceType?.protocol === 'mysql';
    const mysqlTarget = destType?.protocol === 'mysql';
    const realtime = realtimeStatus(status, t);
    return {
      SourceDatasourceName: srcName,
      SourceDatabaseName: mysqlSource ? source.schema : naming?.sourceDatabase ?? '',
      SourceSchemaName: mysqlSource ? '' : source.schema,
      SourceTableName: source.table,
      DestinationDatasourceName: dstName,
      DestinationDatabaseName: target ? (mysqlTarget ? target.schema : naming!.targetDatabase) : '',
      DestinationSchemaName: target && !mysqlTarget ? target.schema : '',
      DestinationTableName: target?.table ?? '',
      StructureMigrationStatus: t?.structure ?? (t?.full === 'Finished' ? 'Finished' : 'Initialized'),
      StructureMigrationErrorMessage: t?.structureError ?? '',
      FullMigrationStatus: t?.full ?? 'Initialized',
      FullMigrationErrorMessage: t?.fullError ?? '',
      RealtimeMigrationStatus: realtime,
      RealtimeMigrationErrorMessage: realtime === 'Failed' ? t?.realtimeError ?? rt.message ?? '' : '',
      OfflineTotalRecords: t?.rowsLoaded ?? 0,
      OfflineTotalBytes: t?.bytesLoaded ?? 0,
      OfflineErrorRecords: t?.errorRecords ?? 0,
    };
  }).filter((r) => FILTERS.every(([param, field]) => p[param] === undefined || p[param] === r[field]));
  return {
    PagingInfo: {
      PageNumber: String(pageNumber), PageSize: String(pageSize), TotalCount: String(rows.length),
      JobRunInfos: rows.slice(offset, offset + pageSize),
    },
  };
};

function realtimeStatus(job: ReturnType<typeof jobStatusOf>, t: TableProgress | undefined): string {
  if (job === 'Failed') return 'Failed';
  if (!t || t.realtime === 'Initialized') return 'Initialized';
  if (t.realtime === 'Failed') return 'Failed';
  return job === 'Running' ? 'Running' : 'Stopped';
}

/** The tables of the deployed TaskContent: what the job's rules selected at its last Create/Update. */
function initialTables(content: string, database: string): string[] {
  try {
    return resolveReaderTables(parseRealtimeTask(content), database).map((t) => `${t.schema}.${t.table}`);
  } catch {
    return [];
  }
}
