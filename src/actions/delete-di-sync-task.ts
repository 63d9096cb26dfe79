/** DeleteDISyncTask (2020-05-18): drops the task, its replication slot, publication and checkpoint. */
import { instanceAction } from './realtime-task-action.ts';

export const deleteDISyncTask = instanceAction((deps, file) => deps.lifecycle.delete(file.id));
