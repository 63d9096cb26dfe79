/** StartDISyncInstance (2020-05-18): resumes from the checkpoint, or begins streaming afresh. */
import { paramInvalid } from '../protocol/errors.ts';
import { StartParamError, parseStartParam } from '../domain/start-param.ts';
import type { Action } from './action-handler.ts';
import { instanceAction } from './realtime-task-action.ts';

export const startDISyncInstance: Action<'2020-05-18', 'StartDISyncInstance'> = instanceAction(async (deps, file, ctx) => {
  const text = ctx.params.StartParam;
  let startParam;
  try {
    startParam = parseStartParam(text);
  } catch (err) {
    if (err instanceof StartParamError) throw paramInvalid(err.path, err.message);
    throw err;
  }
  if (startParam.ignored) deps.logger.debug?.('StartParam keys ignored', { taskId: file.id, keys: startParam.ignored.slice(0, 20) });
  return deps.lifecycle.start(file.id, startParam, text ?? null);
});
