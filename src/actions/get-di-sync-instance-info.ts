/**
 * GetDISyncInstanceInfo (2020-05-18): the instance status (NORUN, WAIT, RUN, KILLING, PAUSE,
 * FAILED) and its message; while running, also what the pipeline has done so far.
 */
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';
import { findRealtimeTask, invalidFileMessage, requireProject, requireRealtimeTaskType } from './access.ts';

export async function getDISyncInstanceInfo(deps: ActionDeps, ctx: ActionContext) {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId as number);
  const fileId = ctx.params.FileId as number;
  const file = await findRealtimeTask(deps, project.id, fileId);
  if (!file) return { Success: true, Data: { Status: 'fail', Message: invalidFileMessage(fileId), Name: null } };
  const rt = await deps.lifecycle.runtime(file.id);
  const m = deps.lifecycle.metrics(file.id);
  return {
    Success: true,
    Data: {
      Status: rt.status,
      Message: rt.message,
      Name: file.name,
      SolutionInfo: { Id: file.id, CreatorName: file.ownerPrincipalId, Status: rt.status.toLowerCase(), StepDetail: [] },
      ...(m && {
        Metrics: {
          Phase: m.phase,
          RowsApplied: m.rowsApplied,
          TransactionsApplied: m.transactionsApplied,
          CommittedPosition: m.committedPosition,
          DelaySeconds: m.lastSourceCommitTime && m.lastAppliedAt
            ? Math.max(0, (m.lastAppliedAt.getTime() - m.lastSourceCommitTime.getTime()) / 1000) : null,
        },
      }),
    },
  };
}
