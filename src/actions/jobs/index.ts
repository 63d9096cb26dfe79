/** The 2024-05-18 DI Job API (jobs, 2024 data sources) and the 2020 actions that share its checks, by version. */
import type { ActionMap } from '../action-handler.ts';
import { createDIJob } from './create-di-job.ts';
import { updateDIJob } from './update-di-job.ts';
import { getDIJob } from './get-di-job.ts';
import { listDIJobs } from './list-di-jobs.ts';
import { deleteDIJob } from './delete-di-job.ts';
import { startDIJob } from './start-di-job.ts';
import { stopDIJob } from './stop-di-job.ts';
import { listDIJobRunDetails } from './list-di-job-run-details.ts';
import { createDataSource2024 } from './create-data-source-2024.ts';
import { updateDataSource2024 } from './update-data-source-2024.ts';
import { deleteDataSource2024 } from './delete-data-source-2024.ts';
import { getDataSource2024 } from './get-data-source-2024.ts';
import { listDataSources2024 } from './list-data-sources-2024.ts';
import { testDataSourceConnectivity } from './test-data-source-connectivity.ts';
import { testNetworkConnection } from './test-network-connection.ts';

export const JOB_ACTIONS_2024 = {
  CreateDIJob: createDIJob,
  UpdateDIJob: updateDIJob,
  GetDIJob: getDIJob,
  ListDIJobs: listDIJobs,
  DeleteDIJob: deleteDIJob,
  StartDIJob: startDIJob,
  StopDIJob: stopDIJob,
  ListDIJobRunDetails: listDIJobRunDetails,
  CreateDataSource: createDataSource2024,
  UpdateDataSource: updateDataSource2024,
  DeleteDataSource: deleteDataSource2024,
  GetDataSource: getDataSource2024,
  ListDataSources: listDataSources2024,
  TestDataSourceConnectivity: testDataSourceConnectivity,
} satisfies Partial<ActionMap<'2024-05-18'>>;
export const JOB_ACTIONS_2020 = {
  TestNetworkConnection: testNetworkConnection,
} satisfies Partial<ActionMap<'2020-05-18'>>;
