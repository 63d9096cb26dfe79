/** GetDISyncTask (2020-05-18): the task's script (Code) and where it stands. */
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';
import { findRealtimeTask, invalidFileMessage, requireProject, requireRealtimeTaskType, statusData } from './access.ts';

export async function getDISyncTask(deps: ActionDeps, ctx: ActionContext) {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId as number);
  const fileId = ctx.params.FileId as number;
  const file = await findRealtimeTask(deps, project.id, fileId);
  if (!file) return statusData(false, invalidFileMessage(fileId));
  const rt = await deps.store.getTaskRuntime(file.id);
  return statusData(true, null, {
    Code: file.content,
    Name: file.name,
    Version: file.version,
    DeployedVersion: file.deployedVersion,
    InstanceStatus: rt.status,
    InstanceMessage: rt.message,
  });
}
