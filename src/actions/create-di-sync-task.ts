/** CreateDISyncTask (2020-05-18): a real-time task file (FileType 900) in the workspace, status NORUN. */
import type { Action } from './action-handler.ts';
import { isObject } from '../domain/task-content.ts';
import { REALTIME_FILE_TYPE, REALTIME_TASK_TYPE } from '../domain/task-status.ts';
import { paramInvalid } from '../protocol/errors.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireProject, requireRealtimeTaskType } from './access.ts';
import { parseTaskContent, storedTaskContent, validateTaskName } from './task-content-param.ts';

const DEFAULT_FOLDER = 'Data Integration';

export const createDISyncTask: Action<'2020-05-18', 'CreateDISyncTask'> = async (deps, ctx) => {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId);
  const def = parseTaskContent(ctx.params.TaskContent);
  const name = validateTaskName(ctx.params.TaskName, def);
  const content = storedTaskContent(def, name);
  const folderPath = folderOf(ctx.params.TaskParam);
  if (await deps.store.findTaskFileByName(project.id, name)) {
    return { Success: true, Data: { Status: 'fail', FileId: null, Message: `a file named ${name} already exists in this workspace.` } };
  }
  const file = await deps.store.createTaskFile({
    projectId: project.id, name, fileType: REALTIME_FILE_TYPE, taskType: REALTIME_TASK_TYPE, folderPath, content, ownerPrincipalId: ctx.principalId,
  });
  return { Success: true, Data: { Status: 'success', FileId: file.id, Message: null } };
};

function folderOf(taskParam: string | undefined): string {
  if (taskParam === undefined) return DEFAULT_FOLDER;
  let v: unknown;
  try { v = JSON.parse(taskParam); } catch { throw paramInvalid('TaskParam', 'is not valid JSON'); }
  if (!isObject(v)) throw paramInvalid('TaskParam', 'must be a JSON object');
  const folder = v.FileFolderPath;
  if (folder === undefined) return DEFAULT_FOLDER;
  if (typeof folder !== 'string' || folder.trim() === '' || folder.length > 512) throw paramInvalid('TaskParam.FileFolderPath', 'must be a folder path');
  return folder;
}
