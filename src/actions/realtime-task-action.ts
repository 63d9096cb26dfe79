/**
 * The shared shape of the actions on one DI_REALTIME task (Get/Deploy/Delete, and the instance
 * actions Start/Stop/Terminate/GetDISyncInstanceInfo): validate TaskType, check workspace access
 * (403), then answer `fileId:[N] is invalid.` for a FileId that is not a real-time task of the
 * workspace (docs/design.md section 1).
 */
import type { ActionContext } from '../protocol/action-registry.ts';
import type { TaskFileRecord } from '../store/catalog-store.ts';
import type { Outcome } from '../runtime/task-lifecycle.ts';
import type { ActionDeps } from './action-deps.ts';
import { findRealtimeTask, invalidFileMessage, requireProject, requireRealtimeTaskType, statusData } from './access.ts';

/** The parameters every one of these operations has (spec/dataworks-openapi.json). */
type RealtimeTaskParams = { ProjectId: number; FileId: number; TaskType: string };
type TaskHandler<P> = (deps: ActionDeps, file: TaskFileRecord, ctx: ActionContext<P>) => Promise<Record<string, unknown>>;

export function realtimeTaskAction<P extends RealtimeTaskParams>(run: TaskHandler<P>, invalidExtra: Record<string, unknown> = {}) {
  return async (deps: ActionDeps, ctx: ActionContext<P>) => {
    requireRealtimeTaskType(ctx.params);
    const project = await requireProject(deps, ctx, ctx.params.ProjectId);
    const fileId = ctx.params.FileId;
    const file = await findRealtimeTask(deps, project.id, fileId);
    if (!file) return statusData(false, invalidFileMessage(fileId), invalidExtra);
    return run(deps, file, ctx);
  };
}

/**
 * An action whose answer is just the lifecycle outcome as `Data: {Status, Message}`. Each is a
 * task event logged at info (start, stop, terminate, delete: who asked and what came of it),
 * while the request lines themselves are debug.
 */
export function instanceAction<P extends RealtimeTaskParams>(run: (deps: ActionDeps, file: TaskFileRecord, ctx: ActionContext<P>) => Promise<Outcome>) {
  return realtimeTaskAction<P>(async (deps, file, ctx) => {
    const outcome = await run(deps, file, ctx);
    deps.logger.info('task operation', { taskId: file.id, action: ctx.action, principalId: ctx.principalId, ok: outcome.ok, message: outcome.message ?? undefined });
    return statusData(outcome.ok, outcome.message);
  });
}
