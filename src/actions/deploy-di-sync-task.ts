/**
 * DeployDISyncTask (2020-05-18): the current draft becomes what Start runs. A running task keeps
 * its running definition until it is stopped and started again.
 */
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';
import { findRealtimeTask, invalidFileMessage, requireProject, requireRealtimeTaskType, statusData } from './access.ts';

export async function deployDISyncTask(deps: ActionDeps, ctx: ActionContext) {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId as number);
  const fileId = ctx.params.FileId as number;
  const file = await findRealtimeTask(deps, project.id, fileId);
  if (!file) return statusData(false, invalidFileMessage(fileId));
  await deps.store.setDeployed(file.id, file.content, file.version);
  return statusData(true, null);
}
