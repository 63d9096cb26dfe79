/**
 * When an alarm rule's condition holds (README "Alarm rules: evaluation"; the choices left open
 * by spec/di-api-audit.md section 4.4, UNSURE 11):
 * - comparisons are `>=` the Threshold;
 * - Delay and ResourceUtilization take the AVERAGE of the samples within the last Duration minutes
 *   (the cloud's own alert text says "aggregator:avg"); Duration 0 means the latest sample; no
 *   sample in the window (not running, or in full load, where there is no delay) never fires;
 * - FailoverCount counts the failovers within the last Duration minutes;
 * - Heartbeat holds when the task has been FAILED, or meant to run but not RUN (WAIT: restarting
 *   or resuming), for at least Duration minutes; Threshold is unused;
 * - DdlReport holds for each schema change whose type is in DdlTypes (any type when empty).
 * Of several conditions that hold, the highest severity wins (Critical over Warning).
 */
import type { DdlType } from '../../engine/ddl-types.ts';
import type { AlarmRule, Condition, Severity } from './alarm-rule.ts';
import { average } from './metric-series.ts';

export interface TaskSnapshot {
  nowMs: number;
  status: string;
  desired: 'RUN' | 'STOP';
  /** When the task entered its current status (epoch ms). */
  statusSinceMs: number;
  /** Samples of the last window, oldest first (ts in unix seconds). */
  samples: { ts: number; delaySeconds: number | null; cpuPercent: number | null }[];
  /** Failover times (epoch ms), any order. */
  failovers: number[];
}

export interface Firing { severity: Severity; value: number | null; threshold: number | null; durationMinutes: number }

const RANK: Record<Severity, number> = { Warning: 1, Critical: 2 };

/** The highest-severity condition of a state rule (Heartbeat, Delay, FailoverCount, ResourceUtilization) that holds. */
export function evaluateRule(rule: AlarmRule, t: TaskSnapshot): Firing | null {
  let best: Firing | null = null;
  for (const c of rule.conditions) {
    const value = conditionValue(rule.metricType, c, t);
    if (value === null) continue;
    if (!best || RANK[c.severity] > RANK[best.severity]) {
      best = { severity: c.severity, value, threshold: rule.metricType === 'Heartbeat' ? null : c.threshold, durationMinutes: c.durationMinutes };
    }
  }
  return best;
}

/** The measured value when the condition holds, else null. */
export function conditionValue(metricType: AlarmRule['metricType'], c: Condition, t: TaskSnapshot): number | null {
  const windowStartMs = t.nowMs - c.durationMinutes * 60_000;
  const threshold = c.threshold ?? 0;
  switch (metricType) {
    case 'Heartbeat': {
      const unhealthy = t.status === 'FAILED' || (t.desired === 'RUN' && t.status !== 'RUN');
      const minutes = (t.nowMs - t.statusSinceMs) / 60_000;
      return unhealthy && t.statusSinceMs <= windowStartMs ? round(minutes) : null;
    }
    case 'Delay':
    case 'ResourceUtilization': {
      const field = metricType === 'Delay' ? 'delaySeconds' : 'cpuPercent';
      const inWindow = c.durationMinutes === 0 ? t.samples.slice(-1) : t.samples.filter((s) => s.ts * 1000 >= windowStartMs);
      const avg = average(inWindow.map((s) => s[field]));
      return avg !== null && avg >= threshold ? round(avg) : null;
    }
    case 'FailoverCount': {
      const n = t.failovers.filter((at) => at >= windowStartMs).length;
      return n >= threshold && n > 0 ? n : null;
    }
    case 'DdlReport':
      return null;
  }
}

/** The highest severity whose DdlTypes include this schema change (DdlReport rules). */
export function ddlFiring(rule: AlarmRule, ddlType: string): Firing | null {
  let best: Firing | null = null;
  for (const c of rule.conditions) {
    if (c.ddlTypes.length > 0 && !c.ddlTypes.includes(ddlType as DdlType)) continue;
    if (!best || RANK[c.severity] > RANK[best.severity]) best = { severity: c.severity, value: 1, threshold: null, durationMinutes: c.durationMinutes };
  }
  return best;
}

export function severityRank(s: Severity | null): number {
  return s === null ? 0 : RANK[s];
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
