/**
 * An alarm rule named by id, with the job it watches; the caller must be able to see the job's
 * workspace. An unknown rule and a rule of a job the caller may not see answer alike (404
 * Invalid.DIAlarmRule.NotExists), and so does a rule of another job than a given DIJobId.
 */
import { ApiError, alarmRuleNotFound } from '../../protocol/errors.ts';
import type { ActionContext } from '../../protocol/action-registry.ts';
import type { AlarmRuleRecord } from '../../store/monitoring-store.ts';
import type { TaskFileRecord } from '../../store/catalog-store.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireJob } from '../require-job.ts';

export async function requireAlarmRule(deps: ActionDeps, ctx: ActionContext, id: number, jobId?: number): Promise<{ rule: AlarmRuleRecord; job: TaskFileRecord }> {
  const rule = await deps.store.monitoring.getAlarmRule(id);
  if (!rule || (jobId !== undefined && rule.taskId !== jobId)) throw alarmRuleNotFound(id);
  try {
    return { rule, job: await requireJob(deps, ctx, rule.taskId) };
  } catch (err) {
    // Only "no such job / not yours" reads as an unknown rule; a catalog outage stays a 503.
    if (!(err instanceof ApiError)) throw err;
    throw alarmRuleNotFound(id);
  }
}
