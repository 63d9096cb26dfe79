/**
 * GetDISyncInstanceInfo (2020-05-18): the instance status (NORUN, WAIT, RUN, KILLING, PAUSE, and
 * OpenDI's FAILED, docs/design.md section 2) and its message. SolutionInfo is null: the SDK
 * documents null for DI_REALTIME. The SDK shows only Status, Message, Name and SolutionInfo, so
 * while nothing went wrong Message carries the progress in words (phase, delay, rows loaded,
 * dirty records, alerts); the same figures as numbers are in Data.Metrics, an OpenDI extension
 * read by `opendi watch` and other plain-JSON clients.
 */
import { instanceProgress, progressSummary } from './instance-progress.ts';
import type { Action } from './action-handler.ts';
import { realtimeTaskAction } from './realtime-task-action.ts';

export const getDISyncInstanceInfo: Action<'2020-05-18', 'GetDISyncInstanceInfo'> = realtimeTaskAction(async (deps, file) => {
  const rt = await deps.lifecycle.runtime(file.id);
  const progress = instanceProgress(deps, rt);
  return {
    Success: true,
    Data: {
      Status: rt.status,
      Message: rt.message ?? progressSummary(progress),
      Name: file.name,
      SolutionInfo: null,
      Metrics: progress,
    },
  };
}, { Name: null });
