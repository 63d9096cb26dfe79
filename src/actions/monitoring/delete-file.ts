/**
 * DeleteFile (2020-05-18, spec/di-api-audit.md section 5): deletes a Data Integration file at
 * once (`DeploymentId` null: nothing to poll). A real-time task file follows DeleteDISyncTask's
 * rules: refused while it runs; its replication slot, checkpoint and history go with it.
 */
import { ApiError } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import type { ActionContext } from '../../protocol/action-registry.ts';
import { resolveProjectParam } from '../resolve-project-param.ts';
import { REALTIME_FILE_TYPE } from '../../domain/task-status.ts';

export async function deleteFile(deps: ActionDeps, ctx: ActionContext) {
  const project = await resolveProjectParam(deps, ctx);
  const fileId = ctx.params.FileId as number;
  const file = await deps.store.getTaskFile(fileId);
  if (!file || file.projectId !== project.id) throw new ApiError('Invalid.File.NotExists', 404, `the file ${fileId} does not exist in workspace ${project.id}`);
  if (file.fileType === REALTIME_FILE_TYPE) {
    const outcome = await deps.lifecycle.delete(file.id);
    if (!outcome.ok) throw new ApiError('Invalid.File.DeleteFailed', 400, outcome.message ?? `the file ${fileId} could not be deleted`, 'Stop the task (StopDISyncInstance) and retry.');
  } else {
    await deps.store.deleteTaskFile(file.id);
  }
  return { Success: true, HttpStatusCode: 200, DeploymentId: null };
}
