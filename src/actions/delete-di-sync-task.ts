/** DeleteDISyncTask (2020-05-18): drops the task, its replication slot, publication and checkpoint. */
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';
import { findRealtimeTask, invalidFileMessage, requireProject, requireRealtimeTaskType, statusData } from './access.ts';

export async function deleteDISyncTask(deps: ActionDeps, ctx: ActionContext) {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId as number);
  const fileId = ctx.params.FileId as number;
  const file = await findRealtimeTask(deps, project.id, fileId);
  if (!file) return statusData(false, invalidFileMessage(fileId));
  const outcome = await deps.lifecycle.delete(file.id);
  return statusData(outcome.ok, outcome.message);
}
