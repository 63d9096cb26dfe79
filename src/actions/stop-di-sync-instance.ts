/** StopDISyncInstance (2020-05-18): graceful, bounded, idempotent stop (docs/design.md section 1). */
import type { Action } from './action-handler.ts';
import { instanceAction } from './realtime-task-action.ts';

export const stopDISyncInstance: Action<'2020-05-18', 'StopDISyncInstance'> = instanceAction((deps, file) => deps.lifecycle.stop(file.id));
