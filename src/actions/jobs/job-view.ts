/**
 * A job as GetDIJob (`PagingInfo`) and ListDIJobs (`DIJobs[]`) render it, with the JSON types of
 * the SDK models (dataworks-public-20240518 GetDijobResponseBody, ListDijobsResponseBody;
 * spec/dataworks-openapi.json): GetDIJob's DIJobId is a string, ListDIJobs' a number;
 * ChannelSettings and RuleExpression are strings holding JSON.
 */
import type { TaskFileRecord } from '../../store/catalog-store.ts';
import type { JobDocument } from '../../domain/di-job/job-document.ts';
import type { JobStatus } from '../../domain/di-job/job-status.ts';

export function jobDetail(file: TaskFileRecord, doc: JobDocument, status: JobStatus, withDetails: boolean, fileSpec: string | null) {
  const s = doc.JobSettings;
  return {
    Id: file.id,
    DIJobId: String(file.id),
    JobName: doc.Name,
    Description: doc.Description,
    ProjectId: file.projectId,
    Owner: doc.Owner,
    JobType: doc.JobType,
    MigrationType: doc.MigrationType,
    SourceDataSourceType: doc.SourceDataSourceType,
    DestinationDataSourceType: doc.DestinationDataSourceType,
    JobStatus: status,
    SourceDataSourceSettings: doc.SourceDataSourceSettings.map((d) => ({ DataSourceName: d.DataSourceName, DataSourceProperties: { ...d.DataSourceProperties } })),
    DestinationDataSourceSettings: doc.DestinationDataSourceSettings.map((d) => ({ DataSourceName: d.DataSourceName })),
    ResourceSettings: doc.ResourceSettings,
    ...(withDetails ? {
      JobSettings: {
        ...(s.ChannelSettings !== undefined ? { ChannelSettings: s.ChannelSettings } : {}),
        ColumnDataTypeSettings: s.ColumnDataTypeSettings ?? [],
        CycleScheduleSettings: s.CycleScheduleSettings ?? {},
        DdlHandlingSettings: s.DdlHandlingSettings ?? [],
        RuntimeSettings: s.RuntimeSettings ?? [],
      },
      TableMappings: doc.TableMappings,
      TransformationRules: doc.TransformationRules,
    } : {}),
    // Not in the SDK model (SDK users do not see it): the script-mode text, for clients that read raw JSON.
    ...(fileSpec !== null ? { FileSpec: fileSpec } : {}),
  };
}

export function jobSummary(file: TaskFileRecord, doc: JobDocument, status: JobStatus) {
  return {
    Id: file.id,
    DIJobId: file.id,
    JobName: doc.Name,
    JobStatus: status,
    MigrationType: doc.MigrationType,
    ProjectId: file.projectId,
    SourceDataSourceType: doc.SourceDataSourceType,
    DestinationDataSourceType: doc.DestinationDataSourceType,
    Owner: doc.Owner,
  };
}
