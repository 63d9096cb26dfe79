/** StopDISyncInstance (2020-05-18): graceful, bounded, idempotent stop (docs/design.md section 1). */
import { instanceAction } from './realtime-task-action.ts';

export const stopDISyncInstance = instanceAction((deps, file) => deps.lifecycle.stop(file.id));
