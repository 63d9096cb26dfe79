/**
 * CreateDIAlarmRule, 2024-05-18 and 2020-05-18 (spec/di-api-audit.md sections 4.2 and 5): one rule
 * store for both. 2024 names the rule (Name) and makes Create idempotent per job with ClientToken;
 * 2020 has no Name, so the rule is called `<MetricType>_<id>`. Enabled defaults to false.
 */
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { requireJob } from '../require-job.ts';
import { ruleDefinition, ruleDescription, ruleName } from './alarm-rule-input.ts';

export const createDIAlarmRule2024: Action<'2024-05-18', 'CreateDIAlarmRule'> = async (deps, ctx) => {
  const p = ctx.params;
  const job = await requireJob(deps, ctx, p.DIJobId);
  const token = p.ClientToken;
  if (token) {
    const existing = await deps.store.monitoring.findAlarmRuleByClientToken(job.id, token);
    if (existing) return { Id: existing.id, DIAlarmRuleId: String(existing.id) };
  }
  const name = ruleName(p.Name);
  const def = ruleDefinition(deps, p.MetricType, p.NotificationSettings, p.TriggerConditions);
  const rule = await deps.store.monitoring.createAlarmRule({
    taskId: job.id, name, description: ruleDescription(p.Description), enabled: p.Enabled ?? false,
    ...def, clientToken: token || null, createdUid: ctx.principalId,
  });
  return { Id: rule.id, DIAlarmRuleId: String(rule.id) };
};

export const createDIAlarmRule2020: Action<'2020-05-18', 'CreateDIAlarmRule'> = async (deps, ctx) => {
  const p = ctx.params;
  const job = await requireJob(deps, ctx, p.DIJobId);
  const def = ruleDefinition(deps, p.MetricType, p.NotificationSettings, p.TriggerConditions);
  const rule = await deps.store.monitoring.createAlarmRule({
    taskId: job.id, name: def.metricType, description: ruleDescription(p.Description), enabled: p.Enabled ?? false,
    ...def, clientToken: null, createdUid: ctx.principalId,
  });
  await deps.store.monitoring.updateAlarmRule(rule.id, { name: `${def.metricType}_${rule.id}` }, ctx.principalId);
  return { DIAlarmRuleId: rule.id };
};
