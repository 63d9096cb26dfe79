/**
 * GetDISyncInstanceInfo (2020-05-18): the instance status (NORUN, WAIT, RUN, KILLING, PAUSE,
 * FAILED) and its message; while running, also what the pipeline has done so far.
 */
import { realtimeTaskAction } from './realtime-task-action.ts';

export const getDISyncInstanceInfo = realtimeTaskAction(async (deps, file) => {
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
}, { Name: null });
