/**
 * DI alarm rules (spec/di-api-audit.md sections 4.2, 4.4 and 5): the checks on what a caller sends
 * (MetricType, NotificationSettings, TriggerConditions; a RuleInputError names the path, e.g.
 * `TriggerConditions.1.Threshold`) and the typed rule the alarm engine evaluates. Rules are stored
 * as sent, so the API returns them unchanged; `ruleFromRecord` reads them back.
 */
import { DDL_TYPES, type DdlType } from '../../engine/ddl-types.ts';
import type { AlarmRuleRecord } from '../../store/monitoring-store.ts';
import { checkWebhookUrl, type HostAllowList } from '../../notify/host-allow-list.ts';
import type { NotificationTargets } from '../../notify/route-deliveries.ts';

export const METRIC_TYPES = ['Heartbeat', 'FailoverCount', 'Delay', 'DdlReport', 'ResourceUtilization'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];
/** The metric names of GetDISyncTask's AlarmList (the 2020 console's rules), accepted on input. */
export const METRIC_ALIASES: Record<string, MetricType> = { taskStatus: 'Heartbeat', bizDelay: 'Delay', taskFailoverCount: 'FailoverCount', ddlReport: 'DdlReport' };
export const SEVERITIES = ['Warning', 'Critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const CHANNELS = ['Mail', 'Phone', 'Sms', 'Ding', 'Feishu', 'Webhook'] as const;
export const RECEIVER_TYPES = ['AliyunUid', 'DingToken', 'FeishuToken', 'WebHookUrl'] as const;
/** Minutes; a week bounds every window and mute interval. */
const MAX_MINUTES = 10_080;
export const DEFAULT_MUTE_MINUTES = 5;

export class RuleInputError extends Error {
  constructor(readonly path: string, reason: string) { super(reason); }
}

export interface Condition { severity: Severity; durationMinutes: number; threshold: number | null; ddlTypes: DdlType[] }

export interface AlarmRule {
  id: number;
  taskId: number;
  name: string;
  metricType: MetricType;
  muteMinutes: number;
  conditions: Condition[];
  targets: NotificationTargets;
}

/** The canonical MetricType of what a caller sent (2024 names, case-insensitive, or the 2020 console names). */
export function parseMetricType(value: unknown): MetricType {
  const text = String(value ?? '');
  const found = METRIC_TYPES.find((m) => m.toLowerCase() === text.toLowerCase()) ?? METRIC_ALIASES[text];
  if (!found) throw new RuleInputError('MetricType', `must be one of ${METRIC_TYPES.join(', ')}; got ${JSON.stringify(text).slice(0, 80)}`);
  return found;
}

/** Checks NotificationSettings (already shape-checked against the spec by the edge). */
export function checkNotificationSettings(ns: Record<string, any>, allowList: HostAllowList): void {
  const p = 'NotificationSettings';
  const mute = ns.MuteInterval;
  const inhibit = ns.InhibitionInterval;
  if (mute !== undefined && inhibit !== undefined && mute !== inhibit) throw new RuleInputError(`${p}.InhibitionInterval`, 'must equal MuteInterval when both are given (it is the deprecated name of MuteInterval)');
  for (const [name, v] of [['MuteInterval', mute], ['InhibitionInterval', inhibit]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > MAX_MINUTES)) throw new RuleInputError(`${p}.${name}`, `must be a whole number of minutes between 0 and ${MAX_MINUTES}`);
  }
  const seen = new Set<string>();
  (ns.NotificationChannels ?? []).forEach((c: Record<string, any>, i: number) => {
    const at = `${p}.NotificationChannels.${i + 1}`;
    const severity = parseSeverity(c.Severity, `${at}.Severity`);
    if (seen.has(severity)) throw new RuleInputError(`${at}.Severity`, `lists ${severity} a second time`);
    seen.add(severity);
    const channels: unknown[] = c.Channels ?? [];
    if (channels.length === 0) throw new RuleInputError(`${at}.Channels`, 'must name at least one channel');
    channels.forEach((ch, j) => {
      if (!(CHANNELS as readonly unknown[]).includes(ch)) throw new RuleInputError(`${at}.Channels.${j + 1}`, `must be one of ${CHANNELS.join(', ')}; got ${JSON.stringify(ch).slice(0, 80)}`);
    });
  });
  (ns.NotificationReceivers ?? []).forEach((r: Record<string, any>, i: number) => {
    const at = `${p}.NotificationReceivers.${i + 1}`;
    if (!(RECEIVER_TYPES as readonly unknown[]).includes(r.ReceiverType)) {
      throw new RuleInputError(`${at}.ReceiverType`, `must be one of ${RECEIVER_TYPES.join(', ')}; got ${JSON.stringify(r.ReceiverType ?? null).slice(0, 80)}`);
    }
    const values: unknown[] = r.ReceiverValues ?? [];
    if (values.length === 0) throw new RuleInputError(`${at}.ReceiverValues`, 'must hold at least one value');
    values.forEach((v, j) => {
      const vp = `${at}.ReceiverValues.${j + 1}`;
      if (typeof v !== 'string' || v.trim() === '' || v.length > 2048) throw new RuleInputError(vp, 'must be a non-empty string of at most 2048 characters');
      if (r.ReceiverType === 'WebHookUrl') {
        const refused = checkWebhookUrl(allowList, v);
        if (refused) throw new RuleInputError(vp, refused);
      }
    });
  });
}

/** Checks TriggerConditions for a metric type. */
export function checkTriggerConditions(conditions: Record<string, any>[], metricType: MetricType): void {
  if (conditions.length === 0) throw new RuleInputError('TriggerConditions', 'must hold at least one condition');
  const seen = new Set<string>();
  conditions.forEach((c, i) => {
    const at = `TriggerConditions.${i + 1}`;
    const severity = parseSeverity(c.Severity, `${at}.Severity`);
    if (seen.has(severity)) throw new RuleInputError(`${at}.Severity`, `has a second condition for ${severity}; give one condition per severity`);
    seen.add(severity);
    if (c.Duration === undefined) {
      if (metricType !== 'DdlReport') throw new RuleInputError(`${at}.Duration`, `is required for ${metricType} (minutes)`);
    } else if (!(c.Duration >= 0 && c.Duration <= MAX_MINUTES)) {
      throw new RuleInputError(`${at}.Duration`, `must be between 0 and ${MAX_MINUTES} minutes`);
    }
    const needsThreshold = metricType === 'Delay' || metricType === 'FailoverCount' || metricType === 'ResourceUtilization';
    if (needsThreshold && c.Threshold === undefined) throw new RuleInputError(`${at}.Threshold`, `is required for ${metricType}`);
    if (c.Threshold !== undefined && !(c.Threshold >= 0)) throw new RuleInputError(`${at}.Threshold`, 'must be 0 or greater');
    if (metricType === 'FailoverCount' && !(Number.isInteger(c.Threshold) && c.Threshold >= 1)) throw new RuleInputError(`${at}.Threshold`, 'must be a whole number of failovers, 1 or more');
    if (metricType === 'ResourceUtilization' && c.Threshold > 100) throw new RuleInputError(`${at}.Threshold`, 'is a percentage: at most 100');
    for (const key of ['DdlTypes', 'DdlReportTags'] as const) {
      (c[key] ?? []).forEach((t: unknown, j: number) => {
        if (parseDdlType(t) === undefined) throw new RuleInputError(`${at}.${key}.${j + 1}`, `must be a DDL type (${DDL_TYPES.join(', ')}, or AddColumn, DropTable, ...); got ${JSON.stringify(t).slice(0, 80)}`);
      });
    }
  });
}

export function ruleFromRecord(r: AlarmRuleRecord): AlarmRule {
  const ns = r.notificationSettings as Record<string, any>;
  return {
    id: r.id, taskId: r.taskId, name: r.name, metricType: parseMetricType(r.metricType),
    muteMinutes: ns.MuteInterval ?? ns.InhibitionInterval ?? DEFAULT_MUTE_MINUTES,
    conditions: r.triggerConditions.map((c: Record<string, any>) => ({
      severity: parseSeverity(c.Severity, 'Severity'), durationMinutes: c.Duration ?? 0, threshold: c.Threshold ?? null,
      ddlTypes: [...(c.DdlTypes ?? []), ...(c.DdlReportTags ?? [])].map(parseDdlType).filter((t): t is DdlType => t !== undefined),
    })),
    targets: {
      channels: (ns.NotificationChannels ?? []).map((c: Record<string, any>) => ({ severity: parseSeverity(c.Severity, 'Severity'), channels: c.Channels ?? [] })),
      receivers: (ns.NotificationReceivers ?? []).map((x: Record<string, any>) => ({ type: x.ReceiverType, values: x.ReceiverValues ?? [] })),
    },
  };
}

export function parseSeverity(v: unknown, path: string): Severity {
  const found = SEVERITIES.find((s) => s.toLowerCase() === String(v ?? '').toLowerCase());
  if (!found) throw new RuleInputError(path, `must be Warning or Critical; got ${JSON.stringify(v ?? null).slice(0, 80)}`);
  return found;
}

/** CREATETABLE as StartParam writes it, or CreateTable as DdlHandlingSettings does. */
export function parseDdlType(v: unknown): DdlType | undefined {
  const key = String(v ?? '').replace(/[^A-Za-z]/g, '').toUpperCase();
  return (DDL_TYPES as readonly string[]).includes(key) ? key as DdlType : undefined;
}
