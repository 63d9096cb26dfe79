/**
 * DeployDISyncTask (2020-05-18): the current draft becomes what Start runs. A running task keeps
 * its running definition until it is stopped and started again.
 */
import { statusData } from './access.ts';
import type { Action } from './action-handler.ts';
import { realtimeTaskAction } from './realtime-task-action.ts';

export const deployDISyncTask: Action<'2020-05-18', 'DeployDISyncTask'> = realtimeTaskAction(async (deps, file) => {
  await deps.store.setDeployed(file.id, file.content, file.version);
  return statusData(true, null);
});
