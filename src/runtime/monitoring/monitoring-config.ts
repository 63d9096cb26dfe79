/**
 * Operator settings of monitoring and alerting, from the environment (README "Monitoring and
 * alerting"). Parsed once at start-up; a bad value stops the service with a message naming it.
 */
import { ConfigError } from '../../config/service-config.ts';
import { parseHostAllowList, type HostAllowList } from '../../notify/host-allow-list.ts';

export interface MonitoringConfig {
  enabled: boolean;
  sampleIntervalMs: number;
  alarmEvalIntervalMs: number;
  retentionRunIntervalMs: number;
  metricRetentionDays: number;
  downsampleAfterHours: number;
  eventRetentionDays: number;
  eventsPerTask: number;
  logLinesPerInstance: number;
  logInstancesPerTask: number;
  logRetentionDays: number;
  /** Dirty rows since the last Dirty event that make a new one (at most one a minute). */
  dirtyEventThreshold: number;
  webhook: { allowedHosts: HostAllowList; secret: string | null; timeoutMs: number; attempts: number };
  dingTalkRobotUrl: string | null;
  feishuRobotUrl: string | null;
  smtp: { url: string; from: string } | null;
  /** AliyunUid receiver values -> mail addresses (values holding an @ are addresses already). */
  mailRecipients: Record<string, string>;
  metricsToken: string | null;
  resourceGroup: string;
}

export function parseMonitoringConfig(env: NodeJS.ProcessEnv): MonitoringConfig {
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer between ${min} and ${max}`);
    return n;
  };
  const url = (name: string): string | null => {
    const v = env[name];
    if (!v) return null;
    let u: URL;
    try { u = new URL(v); } catch { throw new ConfigError(`${name} must be an http(s) URL`); }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${name} must be an http(s) URL`);
    return v.replace(/\/+$/, '');
  };
  const mode = env.OPENDI_MONITORING ?? 'on';
  if (mode !== 'on' && mode !== 'off') throw new ConfigError('OPENDI_MONITORING must be on or off');
  const smtpUrl = env.OPENDI_SMTP_URL;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) throw new ConfigError('OPENDI_SMTP_URL must be smtp://[user:password@]host[:port] or smtps://...');
  let mailRecipients: Record<string, string> = {};
  if (env.OPENDI_ALARM_MAIL_RECIPIENTS) {
    try { mailRecipients = JSON.parse(env.OPENDI_ALARM_MAIL_RECIPIENTS); } catch { /* checked below */ }
    if (typeof mailRecipients !== 'object' || mailRecipients === null || Array.isArray(mailRecipients)
      || Object.values(mailRecipients).some((v) => typeof v !== 'string' || !v.includes('@'))) {
      throw new ConfigError('OPENDI_ALARM_MAIL_RECIPIENTS must be a JSON object of AliyunUid -> mail address');
    }
  }
  let allowedHosts: HostAllowList;
  try { allowedHosts = parseHostAllowList(env.OPENDI_WEBHOOK_ALLOWED_HOSTS ?? ''); } catch (err) {
    throw new ConfigError(`OPENDI_WEBHOOK_ALLOWED_HOSTS: ${(err as Error).message}`);
  }
  const secret = env.OPENDI_WEBHOOK_SECRET || null;
  if (secret !== null && secret.length < 16) throw new ConfigError('OPENDI_WEBHOOK_SECRET must be at least 16 characters');
  const token = env.OPENDI_METRICS_TOKEN || null;
  if (token !== null && token.length < 16) throw new ConfigError('OPENDI_METRICS_TOKEN must be at least 16 characters');
  const group = env.OPENDI_RESOURCE_GROUP ?? 'default';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(group)) throw new ConfigError('OPENDI_RESOURCE_GROUP must be 1-64 letters, digits, _ . -');
  return {
    enabled: mode === 'on',
    // 5 s: fine enough for a speed series and a 1-minute Delay window (12 points), coarse enough that
    // sampling costs one small catalog row per task every 5 s (README "Monitoring and alerting").
    sampleIntervalMs: int('OPENDI_METRICS_SAMPLE_INTERVAL_MS', 5_000, 1_000, 10_000),
    alarmEvalIntervalMs: int('OPENDI_ALARM_EVAL_INTERVAL_MS', 10_000, 1_000, 300_000),
    retentionRunIntervalMs: int('OPENDI_RETENTION_INTERVAL_MS', 600_000, 1_000, 86_400_000),
    metricRetentionDays: int('OPENDI_METRICS_RETENTION_DAYS', 7, 1, 366),
    downsampleAfterHours: int('OPENDI_METRICS_DOWNSAMPLE_AFTER_HOURS', 24, 1, 24 * 366),
    eventRetentionDays: int('OPENDI_EVENT_RETENTION_DAYS', 30, 1, 3660),
    eventsPerTask: int('OPENDI_EVENTS_PER_TASK', 10_000, 100, 1_000_000),
    logLinesPerInstance: int('OPENDI_LOG_LINES_PER_INSTANCE', 10_000, 100, 1_000_000),
    logInstancesPerTask: int('OPENDI_LOG_INSTANCES_PER_TASK', 10, 1, 1000),
    logRetentionDays: int('OPENDI_LOG_RETENTION_DAYS', 7, 1, 3660),
    dirtyEventThreshold: int('OPENDI_DIRTY_EVENT_THRESHOLD', 1, 1, 1_000_000_000),
    webhook: {
      allowedHosts, secret,
      timeoutMs: int('OPENDI_WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000),
      attempts: int('OPENDI_WEBHOOK_ATTEMPTS', 3, 1, 10),
    },
    dingTalkRobotUrl: url('OPENDI_DINGTALK_ROBOT_URL'),
    feishuRobotUrl: url('OPENDI_FEISHU_ROBOT_URL'),
    smtp: smtpUrl ? { url: smtpUrl, from: env.OPENDI_SMTP_FROM || 'opendi@localhost' } : null,
    mailRecipients,
    metricsToken: token,
    resourceGroup: group,
  };
}
