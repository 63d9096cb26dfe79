/** TerminateDISyncInstance (2020-05-18): stop, undeploy, release the slot and discard the checkpoint. */
import { instanceAction } from './realtime-task-action.ts';

export const terminateDISyncInstance = instanceAction((deps, file) => deps.lifecycle.terminate(file.id));
