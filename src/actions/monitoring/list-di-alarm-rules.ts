/**
 * ListDIAlarmRules: 2024-05-18 by `JobId` (not DIJobId) or one `DIAlarmRuleId`, under PagingInfo;
 * 2020-05-18 by `DIJobId`, under DIAlarmRulePaging. GetDIAlarmRule (2020) reads one rule.
 */
import { paramMissing } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { paging } from '../access.ts';
import { requireJob } from '../require-job.ts';
import { requireAlarmRule } from './require-alarm-rule.ts';
import { ruleDetail2020, ruleView2020, ruleView2024 } from './alarm-rule-view.ts';

export const listDIAlarmRules2024: Action<'2024-05-18', 'ListDIAlarmRules'> = async (deps, ctx) => {
  const p = ctx.params;
  const { pageNumber, pageSize, offset } = paging(p, 10, 100);
  const jobId = p.JobId;
  const ruleId = p.DIAlarmRuleId;
  let rules;
  let total;
  if (ruleId !== undefined) {
    const { rule } = await requireAlarmRule(deps, ctx, ruleId, jobId);
    rules = offset === 0 ? [rule] : [];
    total = 1;
  } else if (jobId !== undefined) {
    await requireJob(deps, ctx, jobId);
    ({ items: rules, total } = await deps.store.monitoring.listAlarmRules(jobId, offset, pageSize));
  } else {
    throw paramMissing('JobId');
  }
  return { PagingInfo: { PageNumber: pageNumber, PageSize: pageSize, TotalCount: total, DIJobAlarmRules: rules.map(ruleView2024) } };
};

export const listDIAlarmRules2020: Action<'2020-05-18', 'ListDIAlarmRules'> = async (deps, ctx) => {
  const { pageNumber, pageSize, offset } = paging(ctx.params, 10, 100);
  const job = await requireJob(deps, ctx, ctx.params.DIJobId);
  const { items, total } = await deps.store.monitoring.listAlarmRules(job.id, offset, pageSize);
  return { DIAlarmRulePaging: { PageNumber: pageNumber, PageSize: pageSize, TotalCount: total, DIJobAlarmRules: items.map(ruleView2020) } };
};

export const getDIAlarmRule2020: Action<'2020-05-18', 'GetDIAlarmRule'> = async (deps, ctx) => {
  const { rule } = await requireAlarmRule(deps, ctx, ctx.params.DIAlarmRuleId);
  return { DIAlarmRule: ruleDetail2020(rule) };
};
