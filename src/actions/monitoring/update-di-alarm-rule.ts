/**
 * UpdateDIAlarmRule. 2020-05-18 is a full replace ("partial field updates are not supported"):
 * MetricType, NotificationSettings and TriggerConditions are required, and an absent Description
 * or Enabled becomes empty / false. 2024-05-18 (added to spec/ from the SDK's model) replaces each
 * field given and keeps the others; what results is checked as a whole.
 */
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { jobIdParam } from '../require-job.ts';
import { ruleDefinition, ruleDescription, ruleName } from './alarm-rule-input.ts';
import { requireAlarmRule } from './require-alarm-rule.ts';

export const updateDIAlarmRule2024: Action<'2024-05-18', 'UpdateDIAlarmRule'> = async (deps, ctx) => {
  const p = ctx.params;
  const { rule } = await requireAlarmRule(deps, ctx, jobIdParam(['Id', p.Id], ['DIAlarmRuleId', p.DIAlarmRuleId]), p.DIJobId);
  const def = ruleDefinition(deps, p.MetricType ?? rule.metricType, p.NotificationSettings ?? rule.notificationSettings, p.TriggerConditions ?? rule.triggerConditions);
  await deps.store.monitoring.updateAlarmRule(rule.id, {
    ...def,
    ...(p.Name !== undefined && { name: ruleName(p.Name) }),
    ...(p.Description !== undefined && { description: ruleDescription(p.Description) }),
    ...(p.Enabled !== undefined && { enabled: p.Enabled }),
  }, ctx.principalId);
  return { Success: true };
};

export const updateDIAlarmRule2020: Action<'2020-05-18', 'UpdateDIAlarmRule'> = async (deps, ctx) => {
  const p = ctx.params;
  const { rule } = await requireAlarmRule(deps, ctx, p.DIAlarmRuleId);
  const def = ruleDefinition(deps, p.MetricType, p.NotificationSettings, p.TriggerConditions);
  // 2020 rules have no Name; one OpenDI generated (create-di-alarm-rule.ts) follows the MetricType.
  const generated = rule.name === `${rule.metricType}_${rule.id}`;
  await deps.store.monitoring.updateAlarmRule(rule.id, {
    ...def, description: ruleDescription(p.Description), enabled: p.Enabled ?? false,
    ...(generated && { name: `${def.metricType}_${rule.id}` }),
  }, ctx.principalId);
  return {};
};
