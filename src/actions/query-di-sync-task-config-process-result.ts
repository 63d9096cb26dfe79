/** QueryDISyncTaskConfigProcessResult (2020-05-18): the state of a config process and its TaskContent. */
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireProject, requireRealtimeTaskType } from './access.ts';

export async function queryConfigProcessResult(deps: ActionDeps, ctx: ActionContext) {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId as number);
  const id = ctx.params.AsyncProcessId as number;
  const proc = await deps.store.getConfigProcess(id);
  if (!proc || proc.projectId !== project.id) {
    return { Success: true, Data: { Status: 'fail', Message: `asyncProcessId:[${id}] is invalid.`, TaskContent: null } };
  }
  return { Success: true, Data: { Status: proc.status, Message: proc.message, TaskContent: proc.taskContent } };
}
