/**
 * The operations the console calls, with their API version, HTTP method and the parameters the
 * official SDK sends in the form body (spec/dataworks-openapi.json: bodyParams); every other
 * parameter travels in the query string, as the SDK sends it.
 */
export const V2020 = '2020-05-18';
export const V2024 = '2024-05-18';

export interface Operation { version: string; method: 'GET' | 'POST'; body?: readonly string[] }

const post2020: Operation = { version: V2020, method: 'POST' };
const get2024: Operation = { version: V2024, method: 'GET' };

export const OPERATIONS = {
  ListProjects: post2020,
  GetProject: post2020,
  ListResourceGroups: post2020,
  ListFiles: { version: V2020, method: 'POST', body: ['ProjectId', 'FileTypes', 'PageNumber', 'PageSize', 'Keyword', 'FileIdIn'] },
  ListDataSources: { version: V2020, method: 'GET' },
  GetDISyncInstanceInfo: post2020,
  GetDISyncTask: post2020,
  StartDISyncInstance: post2020,
  DeployDISyncTask: post2020,
  StopDISyncInstance: post2020,
  TerminateDISyncInstance: post2020,
  ListDIJobs: get2024,
  GetDIJob: get2024,
  ListDIJobRunDetails: get2024,
  ListDIJobMetrics: get2024,
  ListDIJobEvents: get2024,
  GetDIJobLog: get2024,
  ListDIAlarmRules: get2024,
  TestDataSourceConnectivity: { version: V2024, method: 'POST' },
  /** OpenDI extensions (spec/dataworks-openapi.json, README "Web console"). */
  ListDataSourceTables: { version: V2024, method: 'POST', body: ['TableMappings'] },
  ListDIJobDirtyRecords: get2024,
  CreateDIJob: {
    version: V2024, method: 'POST',
    body: ['Description', 'DestinationDataSourceSettings', 'JobSettings', 'SourceDataSourceSettings', 'TableMappings', 'TransformationRules'],
  },
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;
