/** UpdateDISyncTask (2020-05-18): replaces the draft script; it takes effect on the next Deploy. */
import type { Action } from './action-handler.ts';
import type { ActionDeps } from './action-deps.ts';
import { findRealtimeTask, invalidFileMessage, requireProject, requireRealtimeTaskType, statusData } from './access.ts';
import { parseTaskContent, storedTaskContent } from './task-content-param.ts';

export const updateDISyncTask: Action<'2020-05-18', 'UpdateDISyncTask'> = async (deps, ctx) => {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId);
  const fileId = ctx.params.FileId;
  const def = ctx.params.TaskContent === undefined ? undefined : parseTaskContent(ctx.params.TaskContent);
  const file = await findRealtimeTask(deps, project.id, fileId);
  if (!file) return statusData(false, invalidFileMessage(fileId));
  const content = def && storedTaskContent(def, file.name);
  if (content !== undefined && content !== file.content) await deps.store.updateTaskFileContent(file.id, content, ctx.principalId);
  return statusData(true, null);
};
