/** GetDISyncTask (2020-05-18): the task's script (Code) and where it stands. */
import { statusData } from './access.ts';
import { instanceProgress } from './instance-progress.ts';
import { realtimeTaskAction } from './realtime-task-action.ts';
import { alarmList } from './monitoring/alarm-list.ts';

export const getDISyncTask = realtimeTaskAction(async (deps, file) => {
  const rt = await deps.store.getTaskRuntime(file.id);
  return statusData(true, null, {
    Code: file.content,
    Name: file.name,
    Version: file.version,
    DeployedVersion: file.deployedVersion,
    InstanceStatus: rt.status,
    InstanceMessage: rt.message,
    InstanceMetrics: instanceProgress(deps, rt),
    AlarmList: await alarmList(deps, file.id),
  });
});
