/**
 * DeleteDIJob (2024-05-18): refused while the job runs (Running or Stopping: stop it first, as
 * for DeleteDISyncTask); otherwise the source-side resources (PostgreSQL replication slot and
 * publication), the checkpoint and dirty records at the target, and the job with its runtime
 * state, progress and run history go (src/runtime/task-lifecycle.ts `delete`; the catalog rows
 * that hang off the task file, alarm rules and event history included, go with it by cascade).
 */
import type { Action } from '../action-handler.ts';
import { jobOperationFailed, jobStatusInvalid } from '../../protocol/errors.ts';
import { ACTIVE_STATUSES } from '../../domain/task-status.ts';
import type { ActionDeps } from '../action-deps.ts';
import { loadJob } from './load-job.ts';

export const deleteDIJob: Action<'2024-05-18', 'DeleteDIJob'> = async (deps, ctx) => {
  const { file } = await loadJob(deps, ctx);
  const rt = await deps.lifecycle.runtime(file.id);
  if ((ACTIVE_STATUSES as string[]).includes(rt.status)) {
    throw jobStatusInvalid(`the DI job ${file.id} is running; stop it (StopDIJob) before deleting it`);
  }
  const outcome = await deps.lifecycle.delete(file.id);
  if (!outcome.ok) {
    const after = await deps.lifecycle.runtime(file.id).catch(() => undefined);
    if (after && (ACTIVE_STATUSES as string[]).includes(after.status)) throw jobStatusInvalid(outcome.message ?? `the DI job ${file.id} is running`);
    throw jobOperationFailed(outcome.message ?? `the DI job ${file.id} could not be deleted`);
  }
  return { Success: true };
};
