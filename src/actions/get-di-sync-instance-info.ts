/**
 * GetDISyncInstanceInfo (2020-05-18): the instance status (NORUN, WAIT, RUN, KILLING, PAUSE,
 * FAILED) and its message, the steps of a full-then-incremental task in SolutionInfo.StepDetail,
 * and the progress figures (phase, delay, dirty records, alerts) in Data.Metrics.
 */
import { instanceProgress, stepDetail } from './instance-progress.ts';
import { realtimeTaskAction } from './realtime-task-action.ts';

export const getDISyncInstanceInfo = realtimeTaskAction(async (deps, file) => {
  const rt = await deps.lifecycle.runtime(file.id);
  const progress = instanceProgress(deps, rt);
  return {
    Success: true,
    Data: {
      Status: rt.status,
      Message: rt.message,
      Name: file.name,
      SolutionInfo: { Id: file.id, CreatorName: file.ownerPrincipalId, Status: rt.status.toLowerCase(), StepDetail: stepDetail(progress, rt.status) },
      Metrics: progress,
    },
  };
}, { Name: null });
