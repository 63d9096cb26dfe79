/**
 * The JSON body OpenDI posts to a WebHookUrl receiver (README "Webhook payload"): DataWorks does
 * not document its own webhook body (spec/di-api-audit.md section 4.4), so this one is OpenDI's.
 * Versioned by `source` + field set; new fields may be added, none removed or retyped.
 */
import type { AlarmNotice } from './alarm-notice.ts';

export function webhookPayload(n: AlarmNotice): Record<string, unknown> {
  return {
    source: 'opendi',
    eventId: String(n.eventId),
    eventType: 'Alarm',
    state: n.state,
    time: Math.floor(n.at / 1000),
    projectId: n.projectId,
    workspace: n.workspace,
    jobId: n.jobId,
    jobName: n.jobName,
    instanceId: n.instanceId,
    ruleId: n.ruleId,
    ruleName: n.ruleName,
    metricType: n.metricType,
    severity: n.severity,
    value: n.value,
    threshold: n.threshold,
    durationMinutes: n.durationMinutes,
    jobStatus: n.jobStatus,
    detail: n.detail,
  };
}
