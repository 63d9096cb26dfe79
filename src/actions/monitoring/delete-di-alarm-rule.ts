/** DeleteDIAlarmRule: 2024-05-18 (`Id` or the deprecated `DIAlarmRuleId`, optional DIJobId) and 2020-05-18. */
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { jobIdParam } from '../require-job.ts';
import { requireAlarmRule } from './require-alarm-rule.ts';

export const deleteDIAlarmRule2024: Action<'2024-05-18', 'DeleteDIAlarmRule'> = async (deps, ctx) => {
  const p = ctx.params;
  const { rule } = await requireAlarmRule(deps, ctx, jobIdParam(['Id', p.Id], ['DIAlarmRuleId', p.DIAlarmRuleId]), p.DIJobId);
  await deps.store.monitoring.deleteAlarmRule(rule.id);
  return { Success: true };
};

export const deleteDIAlarmRule2020: Action<'2020-05-18', 'DeleteDIAlarmRule'> = async (deps, ctx) => {
  const { rule } = await requireAlarmRule(deps, ctx, ctx.params.DIAlarmRuleId);
  await deps.store.monitoring.deleteAlarmRule(rule.id);
  return {};
};
