/**
 * One alarm notification as the channels render it (webhook payload, robot text, mail). Built by
 * the alarm engine (src/runtime/monitoring/alarm-engine.ts); never carries credentials or row data.
 */
export interface AlarmNotice {
  /** The Alarm event's id in the task's event log (ListDIJobEvents Id). */
  eventId: number;
  state: 'firing' | 'resolved';
  /** Epoch milliseconds of the evaluation that fired. */
  at: number;
  projectId: number;
  workspace: string;
  jobId: number;
  jobName: string;
  instanceId: number;
  jobStatus: string;
  ruleId: number;
  ruleName: string;
  metricType: string;
  severity: 'Warning' | 'Critical';
  value: number | null;
  threshold: number | null;
  durationMinutes: number | null;
  /** The same text as the event's Detail. */
  detail: string;
}

/** A receiver of a rule, on the channel it is reached through. */
export interface Delivery { channel: string; receiverType: string; value: string }

export interface DeliveryResult { ok: boolean; /** Why not, for the event's Detail: never a token or a full URL. */ reason?: string }
