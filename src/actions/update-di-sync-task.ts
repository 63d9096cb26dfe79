/** UpdateDISyncTask (2020-05-18): replaces the draft script; it takes effect on the next Deploy. */
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';
import { findRealtimeTask, invalidFileMessage, requireProject, requireRealtimeTaskType, statusData } from './access.ts';
import { parseTaskContent, storedTaskContent } from './task-content-param.ts';

export async function updateDISyncTask(deps: ActionDeps, ctx: ActionContext) {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId as number);
  const fileId = ctx.params.FileId as number;
  const def = ctx.params.TaskContent === undefined ? undefined : parseTaskContent(ctx.params.TaskContent as string);
  const file = await findRealtimeTask(deps, project.id, fileId);
  if (!file) return statusData(false, invalidFileMessage(fileId));
  const content = def && storedTaskContent(def, file.name);
  if (content !== undefined && content !== file.content) await deps.store.updateTaskFileContent(file.id, content, ctx.principalId);
  return statusData(true, null);
}
