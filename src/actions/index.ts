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
import type { Action, ActionMap } from './action-handler.ts';
import type { ApiVersion, OperationName } from '../generated/params.ts';
import { idempotent } from './client-token.ts';
import { JOB_ACTIONS_2020, JOB_ACTIONS_2024 } from './jobs/index.ts';
import { MONITORING_ACTIONS_2020, MONITORING_ACTIONS_2024 } from './monitoring/index.ts';
import { CONSOLE_ACTIONS_2024 } from './console/index.ts';

/**
 * Every operation of spec/dataworks-openapi.json has its handler: a missing, misspelt or
 * wrong-version entry is a type error. Create actions that take a ClientToken are wrapped in
 * `idempotent` (client-token.ts).
 */
const V2020 = {
  CreateProject: idempotent(createProject),
  GetProject: getProject,
  ListProjects: listProjects,
  CreateDataSource: createDataSource,
  UpdateDataSource: updateDataSource,
  DeleteDataSource: deleteDataSource,
  ListDataSources: listDataSources,
  GenerateDISyncTaskConfigForCreating: idempotent(generateConfigForCreating),
  GenerateDISyncTaskConfigForUpdating: idempotent(generateConfigForUpdating),
  QueryDISyncTaskConfigProcessResult: queryConfigProcessResult,
  CreateDISyncTask: idempotent(createDISyncTask),
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
} satisfies ActionMap<'2020-05-18'>;

const V2024 = {
  ...JOB_ACTIONS_2024,
  ...MONITORING_ACTIONS_2024,
  ...CONSOLE_ACTIONS_2024,
} satisfies ActionMap<'2024-05-18'>;

const BY_VERSION = [['2020-05-18', V2020], ['2024-05-18', V2024]] as const;

/** The actions this build serves, per API version (for `opendi call --help`). */
export function servedActions(): Record<string, string[]> {
  return Object.fromEntries(BY_VERSION.map(([version, actions]) => [version, Object.keys(actions).sort()]));
}

export function registerActions(registry: ActionRegistry, deps: ActionDeps): void {
  registerVersion(registry, deps, '2020-05-18', V2020);
  registerVersion(registry, deps, '2024-05-18', V2024);
}

function registerVersion<V extends ApiVersion>(registry: ActionRegistry, deps: ActionDeps, version: V, actions: ActionMap<V>): void {
  for (const action of Object.keys(actions) as OperationName<V>[]) registerOne(registry, deps, version, action, actions[action]);
}

function registerOne<V extends ApiVersion, A extends OperationName<V>>(registry: ActionRegistry, deps: ActionDeps, version: V, action: A, handler: Action<V, A>): void {
  registry.register(version, action, (ctx) => handler(deps, ctx));
}
