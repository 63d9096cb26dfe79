/**
 * Alarm rules as the two API versions return them (SDK models ListDIAlarmRules 2024 / 2020 and
 * GetDIAlarmRule 2020): numbers, booleans and arrays with the JSON types the models declare.
 * MuteInterval and its deprecated name InhibitionInterval always carry the same value.
 */
import type { AlarmRuleRecord } from '../../store/monitoring-store.ts';
import { DEFAULT_MUTE_MINUTES } from '../../runtime/monitoring/alarm-rule.ts';

type Obj = Record<string, any>;

function settings(r: AlarmRuleRecord, withMute: boolean): Obj {
  const ns = r.notificationSettings as Obj;
  const mute = ns.MuteInterval ?? ns.InhibitionInterval ?? DEFAULT_MUTE_MINUTES;
  return {
    ...(withMute && { MuteInterval: mute }),
    InhibitionInterval: mute,
    NotificationChannels: (ns.NotificationChannels ?? []).map((c: Obj) => ({ Severity: c.Severity, Channels: c.Channels ?? [] })),
    NotificationReceivers: (ns.NotificationReceivers ?? []).map((c: Obj) => ({ ReceiverType: c.ReceiverType, ReceiverValues: c.ReceiverValues ?? [] })),
  };
}

function conditions(r: AlarmRuleRecord, v2024: boolean): Obj[] {
  return r.triggerConditions.map((c: Obj) => {
    const base: Obj = { Severity: c.Severity };
    if (c.Duration !== undefined) base.Duration = c.Duration;
    if (c.Threshold !== undefined) base.Threshold = c.Threshold;
    if (v2024) {
      const types = c.DdlTypes ?? c.DdlReportTags;
      if (types !== undefined) { base.DdlTypes = types; base.DdlReportTags = types; }
    }
    return base;
  });
}

export function ruleView2024(r: AlarmRuleRecord): Obj {
  return {
    Id: r.id, DIAlarmRuleId: r.id, DIJobId: r.taskId, Name: r.name, Description: r.description, Enabled: r.enabled,
    MetricType: r.metricType, NotificationSettings: settings(r, true), TriggerConditions: conditions(r, true),
  };
}

export function ruleView2020(r: AlarmRuleRecord): Obj {
  return {
    DIAlarmRuleId: r.id, DIJobId: r.taskId, Description: r.description, Enabled: r.enabled, MetricType: r.metricType,
    NotificationSettings: settings(r, false), TriggerConditions: conditions(r, false),
  };
}

/** GetDIAlarmRule (2020) adds who and when, times in unix seconds. */
export function ruleDetail2020(r: AlarmRuleRecord): Obj {
  return {
    ...ruleView2020(r), CreatedTime: Math.floor(r.createdAt / 1000), UpdatedTime: Math.floor(r.updatedAt / 1000),
    CreatedUid: r.createdUid, UpdatedUid: r.updatedUid,
  };
}
