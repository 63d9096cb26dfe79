/** TerminateDISyncInstance (2020-05-18): stop, undeploy, release the slot and discard the checkpoint. */
import type { Action } from './action-handler.ts';
import { instanceAction } from './realtime-task-action.ts';

export const terminateDISyncInstance: Action<'2020-05-18', 'TerminateDISyncInstance'> = instanceAction((deps, file) => deps.lifecycle.terminate(file.id));
