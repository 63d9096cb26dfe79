/**
 * GetDISyncTask (2020-05-18): the task's script (`Code`, the stored TaskContent). SolutionDetail is
 * null, as the SDK documents for DI_REALTIME. Only fields of the SDK model are sent (the SDK drops
 * any other): the instance's state is GetDISyncInstanceInfo's.
 */
import { statusData } from './access.ts';
import type { Action } from './action-handler.ts';
import { realtimeTaskAction } from './realtime-task-action.ts';
import { alarmList } from './monitoring/alarm-list.ts';

export const getDISyncTask: Action<'2020-05-18', 'GetDISyncTask'> = realtimeTaskAction(async (deps, file) => statusData(true, null, {
  Code: file.content,
  SolutionDetail: null,
  AlarmList: await alarmList(deps, file.id),
}));
