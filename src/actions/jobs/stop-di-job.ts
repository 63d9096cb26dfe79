/**
 * StopDIJob (2024-05-18): the graceful, bounded, idempotent stop of StopDISyncInstance
 * (docs/design.md section 1) through the same lifecycle. A stopped or failed job: success. A job
 * never started: 400 (an UNSURE point; 2020 answers "fail" there). InstanceId, when given, must be
 * the job's current instance.
 */
import type { Action } from '../action-handler.ts';
import { jobStatusInvalid, paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import { loadJob } from './load-job.ts';

export const stopDIJob: Action<'2024-05-18', 'StopDIJob'> = async (deps, ctx) => {
  const { file } = await loadJob(deps, ctx);
  const rt = await deps.lifecycle.runtime(file.id);
  const instance = ctx.params.InstanceId;
  if (instance !== undefined && instance !== rt.instanceId) {
    throw paramInvalid('InstanceId', `${instance} is not the current instance of DI job ${file.id}${rt.instanceId ? ` (it is ${rt.instanceId})` : ' (it has never been started)'}`);
  }
  if (rt.status === 'NORUN') throw jobStatusInvalid(`the DI job ${file.id} has never been started, so there is nothing to stop`);
  const outcome = await deps.lifecycle.stop(file.id);
  if (!outcome.ok) throw jobStatusInvalid(outcome.message ?? `the DI job ${file.id} could not be stopped`);
  return { Success: true };
};
