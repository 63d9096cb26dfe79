/**
 * Evaluates enabled alarm rules on the service's own clock and notifies (README "Alarm rules").
 * State rules (Heartbeat, Delay, FailoverCount, ResourceUtilization) are evaluated every tick: a
 * rule that starts firing, or escalates to a higher severity, notifies; while it keeps firing it
 * reminds every MuteInterval minutes (never when MuteInterval is 0); when it stops, a "resolved"
 * notice goes out. Event rules fire on the event: each schema change (DdlReport) and each
 * failover while FailoverCount holds is a new firing. A firing within MuteInterval minutes of the
 * rule's last notification of the same severity is recorded as an Alarm event with Status
 * Silence and sends nothing. Every other firing is recorded at once and its delivery runs in the
 * background (delivery-queue.ts); the event's Status becomes Success when every receiver took it,
 * else Fail with the reasons in Detail.
 */
import type { Logger } from '../../logger.ts';
import type { CatalogStore } from '../../store/catalog-store.ts';
import type { TaskEventRecord } from '../../store/monitoring-store.ts';
import type { AlarmNotice } from '../../notify/alarm-notice.ts';
import type { Notifier } from '../../notify/notifier.ts';
import { DeliveryQueue } from '../../notify/delivery-queue.ts';
import { routeDeliveries } from '../../notify/route-deliveries.ts';
import { ruleFromRecord, type AlarmRule, type Severity } from './alarm-rule.ts';
import { ddlFiring, evaluateRule, severityRank, type Firing, type TaskSnapshot } from './alarm-evaluation.ts';
import { alarmDetail } from './alarm-detail.ts';
import type { EventRecorder } from './event-recorder.ts';

const DELIVERY_CONCURRENCY = 4;
const DELIVERY_CAPACITY = 500;

export interface AlarmEngineDeps {
  store: CatalogStore;
  recorder: EventRecorder;
  notifier: Notifier;
  logger: Logger;
  statusSince(taskId: number): Promise<number>;
  rawResolutionSec: number;
}

interface RuleState { severity: Severity; firing: Firing; lastReminderAt: number }

export class AlarmEngine {
  private readonly state = new Map<number, RuleState>();
  private readonly lastNotified = new Map<string, number>();
  private readonly queue = new DeliveryQueue(DELIVERY_CONCURRENCY, DELIVERY_CAPACITY);
  private readonly inFlight = new Set<Promise<void>>();
  private chain: Promise<void> = Promise.resolve();
  /** Notifications by channel and outcome since start (Prometheus). */
  readonly sent = new Map<string, number>();

  constructor(private readonly deps: AlarmEngineDeps) {}

  /** Rules firing now (Prometheus opendi_alarm_firing). */
  firing(): { ruleId: number; severity: Severity }[] {
    return [...this.state].map(([ruleId, s]) => ({ ruleId, severity: s.severity }));
  }

  /** Waits for deliveries in flight (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Evaluates the state rules; ticks and events are handled one at a time. */
  tick(nowMs = Date.now()): Promise<void> {
    return this.serially(() => this.evaluateAll(nowMs));
  }

  /** Event rules: a stored DDL or Failover event. */
  onEvent(e: TaskEventRecord): Promise<void> {
    if (e.kind !== 'DDL' && e.kind !== 'Failover') return Promise.resolve();
    return this.serially(() => this.evaluateEvent(e));
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch((err) => this.deps.logger.error('alarm evaluation failed', { error: err }));
    return next;
  }

  private async evaluateAll(nowMs: number): Promise<void> {
    const records = await this.deps.store.monitoring.listEnabledAlarmRules();
    const live = new Set(records.map((r) => r.id));
    for (const id of this.state.keys()) if (!live.has(id)) this.state.delete(id);
    for (const record of records) {
      const rule = this.parse(record);
      if (!rule || rule.metricType === 'DdlReport') continue;
      const firing = evaluateRule(rule, await this.snapshot(rule, nowMs));
      const prev = this.state.get(rule.id);
      if (!firing) {
        if (prev) {
          this.state.delete(rule.id);
          await this.occur(rule, prev.firing, 'resolved', nowMs);
        }
        continue;
      }
      // FailoverCount fires on each failover event itself (evaluateEvent); the tick only tracks
      // whether it holds, so that it can resolve.
      if (rule.metricType === 'FailoverCount') {
        if (!prev) this.state.set(rule.id, { severity: firing.severity, firing, lastReminderAt: nowMs });
        continue;
      }
      if (!prev || severityRank(firing.severity) > severityRank(prev.severity)) {
        this.state.set(rule.id, { severity: firing.severity, firing, lastReminderAt: nowMs });
        await this.occur(rule, firing, 'firing', nowMs);
        continue;
      }
      prev.firing = { ...firing, severity: prev.severity };
      if (rule.muteMinutes > 0 && nowMs - prev.lastReminderAt >= rule.muteMinutes * 60_000) {
        prev.lastReminderAt = nowMs;
        await this.occur(rule, prev.firing, 'firing', nowMs);
      }
    }
  }

  private async evaluateEvent(e: TaskEventRecord): Promise<void> {
    const metricType = e.kind === 'DDL' ? 'DdlReport' : 'FailoverCount';
    const records = (await this.deps.store.monitoring.listEnabledAlarmRules()).filter((r) => r.taskId === e.taskId);
    for (const record of records) {
      const rule = this.parse(record);
      if (!rule || rule.metricType !== metricType) continue;
      if (metricType === 'DdlReport') {
        const firing = ddlFiring(rule, e.alarmType ?? '');
        if (firing) await this.occur(rule, firing, 'firing', e.createdAt, `${e.alarmType} on ${e.srcTable}: ${e.action}${e.srcSql ? `: ${e.srcSql.slice(0, 300)}` : ''}`);
        continue;
      }
      const firing = evaluateRule(rule, await this.snapshot(rule, Date.now()));
      if (!firing) continue;
      const prev = this.state.get(rule.id);
      if (!prev || severityRank(firing.severity) >= severityRank(prev.severity)) {
        this.state.set(rule.id, { severity: firing.severity, firing, lastReminderAt: Date.now() });
      }
      await this.occur(rule, firing, 'firing', e.createdAt);
    }
  }

  private parse(record: Parameters<typeof ruleFromRecord>[0]): AlarmRule | undefined {
    try {
      return ruleFromRecord(record);
    } catch (err) {
      this.deps.logger.error('an alarm rule could not be read; it is skipped', { ruleId: record.id, error: err });
      return undefined;
    }
  }

  private async snapshot(rule: AlarmRule, nowMs: number): Promise<TaskSnapshot> {
    const { store } = this.deps;
    const rt = await store.getTaskRuntime(rule.taskId);
    const windowMinutes = Math.max(...rule.conditions.map((c) => c.durationMinutes));
    // Duration 0 reads the latest sample: look back a few sampling intervals for it.
    const fromSec = Math.floor(nowMs / 1000 - windowMinutes * 60 - 3 * this.deps.rawResolutionSec);
    const needsSamples = rule.metricType === 'Delay' || rule.metricType === 'ResourceUtilization';
    const samples = needsSamples ? await store.monitoring.listMetricSamples(rule.taskId, this.deps.rawResolutionSec, fromSec, Math.ceil(nowMs / 1000)) : [];
    const failovers = rule.metricType === 'FailoverCount'
      ? (await store.monitoring.listEvents(rule.taskId, { kinds: ['Failover'], fromMs: nowMs - windowMinutes * 60_000, toMs: nowMs }, 0, 10_000)).items.map((e) => e.createdAt)
      : [];
    return { nowMs, status: rt.status, desired: rt.desired, statusSinceMs: await this.deps.statusSince(rule.taskId), samples, failovers };
  }

  /** One firing (or resolution) of a rule: muted, or recorded and delivered in the background. */
  private async occur(rule: AlarmRule, firing: Firing, state: 'firing' | 'resolved', atMs: number, what?: string): Promise<void> {
    const { store, recorder } = this.deps;
    const file = await store.getTaskFile(rule.taskId);
    if (!file) return;
    const project = await store.getProject(file.projectId);
    const rt = await store.getTaskRuntime(rule.taskId);
    const detail = alarmDetail({ workspace: project?.identifier ?? String(file.projectId), jobName: file.name, ruleName: rule.name, metricType: rule.metricType, status: rt.status, what }, firing, state);
    const route = routeDeliveries(rule.targets, firing.severity);
    const base = { taskId: rule.taskId, instanceId: rt.instanceId, createdAt: atMs, alarmType: rule.metricType, severity: firing.severity, channels: route.channels.join(',') || null, ruleId: rule.id };

    const key = `${rule.id}:${firing.severity}`;
    if (state === 'firing') {
      const last = this.lastNotified.get(key) ?? (await store.monitoring.lastAlarmNotification(rule.id, firing.severity))?.createdAt;
      if (last !== undefined && atMs - last < rule.muteMinutes * 60_000) {
        await recorder.alarm({ ...base, status: 'Silence', detail: `${detail}; muted: notified ${Math.round((atMs - last) / 1000)} s ago, MuteInterval ${rule.muteMinutes} min` });
        this.count('muted', 'Silence');
        return;
      }
      this.lastNotified.set(key, atMs);
    }
    const event = await recorder.alarm({ ...base, status: null, detail });
    if (event.id === 0) return;
    const notice: AlarmNotice = {
      eventId: event.id, state, at: atMs, projectId: file.projectId, workspace: project?.identifier ?? String(file.projectId),
      jobId: file.id, jobName: file.name, instanceId: rt.instanceId, jobStatus: rt.status, ruleId: rule.id, ruleName: rule.name,
      metricType: rule.metricType, severity: firing.severity, value: firing.value, threshold: firing.threshold,
      durationMinutes: rule.metricType === 'DdlReport' ? null : firing.durationMinutes, detail,
    };
    const delivery = this.deliver(notice, route).catch((err) => this.deps.logger.error('alarm delivery failed', { ruleId: rule.id, error: err }));
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async deliver(n: AlarmNotice, route: ReturnType<typeof routeDeliveries>): Promise<void> {
    const results = await this.queue.run(() => Promise.all(route.deliveries.map(async (d) => ({ d, r: await this.deps.notifier.deliver(n, d) }))));
    const reasons = [...route.problems];
    if (results === null) reasons.push(`not sent: ${DELIVERY_CAPACITY} notifications are already waiting`);
    for (const { d, r } of results ?? []) {
      this.count(d.channel, r.ok ? 'Success' : 'Fail');
      if (!r.ok) reasons.push(`${d.channel}: ${r.reason}`);
    }
    const status = reasons.length === 0 ? 'Success' : 'Fail';
    if (status === 'Fail') this.deps.logger.warn('alarm notification failed', { taskId: n.jobId, ruleId: n.ruleId, eventId: n.eventId, reasons });
    await this.deps.store.monitoring.setAlarmDelivery(n.eventId, status, reasons.length ? `${n.detail}; delivery failed: ${reasons.join('; ')}` : n.detail);
  }

  private count(channel: string, outcome: string): void {
    const key = `${channel}\u0000${outcome}`;
    this.sent.set(key, (this.sent.get(key) ?? 0) + 1);
  }
}
