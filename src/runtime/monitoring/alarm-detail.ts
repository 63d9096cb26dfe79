/**
 * The Detail text of an Alarm event and its notifications, in the style of the cloud's own alert
 * text (spec/dataworks-openapi.json ListDIJobEvents Detail example: "Data integration sync task
 * exception: Level: WARNING, ... Alert rule: Business delay, aggregator:avg [..] for 5 minutes").
 */
import type { MetricType } from './alarm-rule.ts';
import type { Firing } from './alarm-evaluation.ts';

const RULE_LABEL: Record<MetricType, string> = {
  Heartbeat: 'Task status', Delay: 'Business delay', FailoverCount: 'Failover count', DdlReport: 'DDL report', ResourceUtilization: 'Resource utilization',
};

export interface DetailContext { workspace: string; jobName: string; ruleName: string; metricType: MetricType; status: string; what?: string }

export function alarmDetail(c: DetailContext, f: Firing, state: 'firing' | 'resolved'): string {
  const head = state === 'resolved' ? 'Data integration sync task recovered' : 'Data integration sync task exception';
  return `${head}: Level: ${f.severity.toUpperCase()}, project: ${c.workspace}, Task name: ${c.jobName}, `
    + `Alert rule: ${c.ruleName} (${RULE_LABEL[c.metricType]}), ${measure(c, f)}`;
}

function measure(c: DetailContext, f: Firing): string {
  const d = f.durationMinutes;
  switch (c.metricType) {
    case 'Delay': return `aggregator:avg [${f.value} s] >= ${f.threshold} s for ${d} minutes`;
    case 'ResourceUtilization': return `aggregator:avg [${f.value}%] >= ${f.threshold}% for ${d} minutes`;
    case 'FailoverCount': return `aggregator:count [${f.value}] >= ${f.threshold} within ${d} minutes`;
    case 'Heartbeat': return `status [${c.status}] for ${f.value ?? d} minutes (at least ${d})`;
    case 'DdlReport': return `DDL [${c.what ?? ''}]`;
  }
}
