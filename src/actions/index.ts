/** Registers every action this build serves, by API version. */
import type { ActionRegistry } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';
import { createProject } from './create-project.ts';
import { getProject } from './get-project.ts';
import { listProjects } from './list-projects.ts';
import { createDataSource } from './create-data-source.ts';
import { updateDataSource } from './update-data-source.ts';
import { deleteDataSource } from './delete-data-source.ts';
import { listDataSources } from './list-data-sources.ts';
import { generateConfigForCreating, generateConfigForUpdating } from './generate-di-sync-task-config.ts';
import { queryConfigProcessResult } from './query-di-sync-task-config-process-result.ts';
import { createDISyncTask } from './create-di-sync-task.ts';
import { updateDISyncTask } from './update-di-sync-task.ts';
import { getDISyncTask } from './get-di-sync-task.ts';
import { deployDISyncTask } from './deploy-di-sync-task.ts';
import { deleteDISyncTask } from './delete-di-sync-task.ts';
import { listFiles } from './list-files.ts';
import { getFile } from './get-file.ts';
import { startDISyncInstance } from './start-di-sync-instance.ts';
import { stopDISyncInstance } from './stop-di-sync-instance.ts';
import { terminateDISyncInstance } from './terminate-di-sync-instance.ts';
import { getDISyncInstanceInfo } from './get-di-sync-instance-info.ts';
import type { ActionHandler } from './action-handler.ts';
import { JOB_ACTIONS_2020, JOB_ACTIONS_2024 } from './jobs/index.ts';
import { MONITORING_ACTIONS_2020, MONITORING_ACTIONS_2024 } from './monitoring/index.ts';

const V2020: Record<string, ActionHandler> = {
  CreateProject: createProject,
  GetProject: getProject,
  ListProjects: listProjects,
  CreateDataSource: createDataSource,
  UpdateDataSource: updateDataSource,
  DeleteDataSource: deleteDataSource,
  ListDataSources: listDataSources,
  GenerateDISyncTaskConfigForCreating: generateConfigForCreating,
  GenerateDISyncTaskConfigForUpdating: generateConfigForUpdating,
  QueryDISyncTaskConfigProcessResult: queryConfigProcessResult,
  CreateDISyncTask: createDISyncTask,
  UpdateDISyncTask: updateDISyncTask,
  GetDISyncTask: getDISyncTask,
  DeployDISyncTask: deployDISyncTask,
  DeleteDISyncTask: deleteDISyncTask,
  ListFiles: listFiles,
  GetFile: getFile,
  StartDISyncInstance: startDISyncInstance,
  StopDISyncInstance: stopDISyncInstance,
  TerminateDISyncInstance: terminateDISyncInstance,
  GetDISyncInstanceInfo: getDISyncInstanceInfo,
  ...JOB_ACTIONS_2020,
  ...MONITORING_ACTIONS_2020,
};

const V2024: Record<string, ActionHandler> = {
  ...JOB_ACTIONS_2024,
  ...MONITORING_ACTIONS_2024,
};

export function registerActions(registry: ActionRegistry, deps: ActionDeps): void {
  for (const [version, actions] of [['2020-05-18', V2020], ['2024-05-18', V2024]] as const) {
    for (const [action, handler] of Object.entries(actions)) registry.register(version, action, (ctx) => handler(deps, ctx));
  }
}
