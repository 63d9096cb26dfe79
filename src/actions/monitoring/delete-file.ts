/**
 * DeleteFile (2020-05-18, spec/di-api-audit.md section 5): deletes a Data Integration file at
 * once (`DeploymentId` null: nothing to poll). A real-time task file follows DeleteDISyncTask's
 * rules: refused while it runs; its replication slot, checkpoint and history go with it.
 */
import { fileDeleteFailed, fileNotFound } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { resolveProjectParam } from '../resolve-project-param.ts';
import { REALTIME_FILE_TYPE } from '../../domain/task-status.ts';

export const deleteFile: Action<'2020-05-18', 'DeleteFile'> = async (deps, ctx) => {
  const project = await resolveProjectParam(deps, ctx);
  const fileId = ctx.params.FileId;
  const file = await deps.store.getTaskFile(fileId);
  if (!file || file.projectId !== project.id) throw fileNotFound(fileId, project.id);
  if (file.fileType === REALTIME_FILE_TYPE) {
    const outcome = await deps.lifecycle.delete(file.id);
    if (!outcome.ok) throw fileDeleteFailed(outcome.message ?? `the file ${fileId} could not be deleted`);
  } else {
    await deps.store.deleteTaskFile(file.id);
  }
  return { Success: true, HttpStatusCode: 200, DeploymentId: null };
};
