/** Registers every action this build serves, by API version. */
import type { ActionContext, ActionRegistry } from '../protocol/action-registry.ts';
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

type Handler = (deps: ActionDeps, ctx: ActionContext) => Promise<Record<string, unknown>>;

const V2020: Record<string, Handler> = {
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
};

export function registerActions(registry: ActionRegistry, deps: ActionDeps): void {
  for (const [action, handler] of Object.entries(V2020)) {
    registry.register('2020-05-18', action, (ctx) => handler(deps, ctx));
  }
}
