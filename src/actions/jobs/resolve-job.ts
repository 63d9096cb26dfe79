/**
 * What CreateDIJob and UpdateDIJob check against the workspace and the source database before
 * anything is stored: both data sources exist with the real type the job's endpoint types need,
 * and the selection rules select at least one usable table of the source now (one, for a
 * SingleTableRealtimeMigration job). Returns the job's 2020 face (TaskContent) for those tables.
 */
import { paramInvalid } from '../../protocol/errors.ts';
import type { JobDocument } from '../../domain/di-job/job-document.ts';
import { compileJobPlan } from '../../domain/di-job/job-plan.ts';
import { DESTINATION_TYPES, SOURCE_TYPES, findEndpointType } from '../../domain/di-job/job-types.ts';
import { taskContentOfJob } from '../../domain/di-job/task-content-of-job.ts';
import { findJobDataSource } from '../../runtime/di-job/job-data-sources.ts';
import { listSourceCatalog, selectionProblem, selectTables } from '../../runtime/di-job/resolve-tables.ts';
import type { ActionDeps } from '../action-deps.ts';

export async function resolveJob(deps: ActionDeps, projectId: number, doc: JobDocument): Promise<{ content: string }> {
  const source = await findJobDataSource(deps.store, projectId, doc.SourceDataSourceSettings[0].DataSourceName,
    findEndpointType(SOURCE_TYPES, doc.SourceDataSourceType)!, 'source');
  if (typeof source === 'string') throw paramInvalid('SourceDataSourceSettings[0].DataSourceName', source);
  const target = await findJobDataSource(deps.store, projectId, doc.DestinationDataSourceSettings[0].DataSourceName,
    findEndpointType(DESTINATION_TYPES, doc.DestinationDataSourceType)!, 'destination');
  if (typeof target === 'string') throw paramInvalid('DestinationDataSourceSettings[0].DataSourceName', target);
  const plan = compileJobPlan(doc, source.endpoint.database);
  let catalog;
  try {
    catalog = await listSourceCatalog(source.protocol, source.endpoint);
  } catch (err) {
    throw paramInvalid('SourceDataSourceSettings[0].DataSourceName',
      `cannot read the tables of data source ${plan.sourceDataSource} to check TableMappings: ${(err as Error).message}`);
  }
  const selection = selectTables(catalog, plan);
  const problem = selectionProblem(selection, plan);
  if (problem) throw paramInvalid('TableMappings', problem);
  return { content: taskContentOfJob(doc, plan, selection.tables) };
}
