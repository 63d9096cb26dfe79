/**
 * GetDISyncTask's `Data.AlarmList` (2020-05-18): the task's alarm rules in the shape of the
 * console's real-time task alarms (SDK model GetDISyncTaskResponseBodyDataAlarmList), mapped as
 * spec/di-api-audit.md section 5 proposes: Heartbeat -> taskStatus, Delay -> bizDelay,
 * FailoverCount -> taskFailoverCount, DdlReport -> ddlReport. Comparator is ">=" and Aggregator
 * "avg" for averaged metrics, "max" otherwise: how OpenDI evaluates them (alarm-evaluation.ts).
 */
import type { ActionDeps } from '../action-deps.ts';
import { ruleFromRecord } from '../../runtime/monitoring/alarm-rule.ts';

const METRIC: Record<string, string> = {
  Heartbeat: 'taskStatus', Delay: 'bizDelay', FailoverCount: 'taskFailoverCount', DdlReport: 'ddlReport', ResourceUtilization: 'resourceUtilization',
};
const MAX_RULES = 100;

export async function alarmList(deps: ActionDeps, taskId: number): Promise<Record<string, unknown>[]> {
  const { items } = await deps.store.monitoring.listAlarmRules(taskId, 0, MAX_RULES);
  return items.map((record) => {
    const rule = ruleFromRecord(record);
    const averaged = rule.metricType === 'Delay' || rule.metricType === 'ResourceUtilization';
    const channels = (severity: string) => rule.targets.channels.find((c) => c.severity === severity)?.channels ?? [];
    return {
      Id: record.id, RuleName: record.name, Description: record.description, Enabled: record.enabled, Metric: METRIC[rule.metricType],
      AlarmRuleList: rule.conditions.map((c) => ({
        Aggregator: averaged ? 'avg' : 'max', Comparator: '>=', Duration: c.durationMinutes, Level: c.severity.toUpperCase(),
        ...(c.threshold !== null && { Threshold: c.threshold }),
      })),
      NotifyRule: { Interval: rule.muteMinutes, Warning: channels('Warning'), Critical: channels('Critical') },
    };
  });
}
