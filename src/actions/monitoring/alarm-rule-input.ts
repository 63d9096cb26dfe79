/**
 * What the alarm-rule actions accept (spec/di-api-audit.md sections 4.2, 4.4 and 5): MetricType,
 * NotificationSettings and TriggerConditions checked together (a TriggerCondition depends on the
 * metric), with every problem a 400 naming the field and the path inside it. Severity and
 * MetricType are stored in their canonical spelling; everything else as sent, so reads return it.
 */
import { paramInvalid } from '../../protocol/errors.ts';
import {
  RuleInputError, checkNotificationSettings, checkTriggerConditions, parseMetricType, parseSeverity, type MetricType,
} from '../../runtime/monitoring/alarm-rule.ts';
import type { ActionDeps } from '../action-deps.ts';

export interface RuleDefinition {
  metricType: MetricType;
  notificationSettings: Record<string, unknown>;
  triggerConditions: Record<string, unknown>[];
}

const MAX_NAME = 255;
const MAX_DESCRIPTION = 3000;

/** Validates a complete definition; throws Param.Invalid naming the path. */
export function ruleDefinition(deps: ActionDeps, metricType: unknown, ns: unknown, tc: unknown): RuleDefinition {
  return asParamError(() => {
    const type = parseMetricType(metricType);
    const settings = ns as Record<string, any>;
    checkNotificationSettings(settings, deps.monitor.config.webhook.allowedHosts);
    const conditions = tc as Record<string, any>[];
    checkTriggerConditions(conditions, type);
    return {
      metricType: type,
      notificationSettings: {
        ...settings,
        ...(settings.NotificationChannels && {
          NotificationChannels: settings.NotificationChannels.map((c: Record<string, unknown>) => ({ ...c, Severity: parseSeverity(c.Severity, 'Severity') })),
        }),
      },
      triggerConditions: conditions.map((c) => ({ ...c, Severity: parseSeverity(c.Severity, 'Severity') })),
    };
  });
}

export function ruleName(value: unknown, path = 'Name'): string {
  const name = String(value ?? '').trim();
  if (name === '' || name.length > MAX_NAME) throw paramInvalid(path, `must be 1 to ${MAX_NAME} characters`);
  return name;
}

export function ruleDescription(value: unknown): string {
  const text = String(value ?? '');
  if (text.length > MAX_DESCRIPTION) throw paramInvalid('Description', `must be at most ${MAX_DESCRIPTION} characters`);
  return text;
}

function asParamError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RuleInputError) throw paramInvalid(err.path, err.message);
    throw err;
  }
}
