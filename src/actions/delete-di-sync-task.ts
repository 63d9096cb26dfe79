/** DeleteDISyncTask (2020-05-18): drops the task, its replication slot, publication and checkpoint. */
import type { Action } from './action-handler.ts';
import { instanceAction } from './realtime-task-action.ts';

export const deleteDISyncTask: Action<'2020-05-18', 'DeleteDISyncTask'> = instanceAction((deps, file) => deps.lifecycle.delete(file.id));
