/** DeleteDIAlarmRule: 2024-05-18 (`Id` or the deprecated `DIAlarmRuleId`, optional DIJobId) and 2020-05-18. */
import type { ActionDeps } from '../action-deps.ts';
import type { ActionContext } from '../../protocol/action-registry.ts';
import { jobIdParam } from '../require-job.ts';
import { requireAlarmRule } from './require-alarm-rule.ts';

export async function deleteDIAlarmRule2024(deps: ActionDeps, ctx: ActionContext) {
  const { rule } = await requireAlarmRule(deps, ctx, jobIdParam(ctx.params, ['Id', 'DIAlarmRuleId']), ctx.params.DIJobId as number | undefined);
  await deps.store.monitoring.deleteAlarmRule(rule.id);
  return { Success: true };
}

export async function deleteDIAlarmRule2020(deps: ActionDeps, ctx: ActionContext) {
  const { rule } = await requireAlarmRule(deps, ctx, ctx.params.DIAlarmRuleId as number);
  await deps.store.monitoring.deleteAlarmRule(rule.id);
  return {};
}
