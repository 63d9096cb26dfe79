/**
 * Each task instance keeps its own log (GetDIJobLog): every line the service logs with a `taskId`
 * field (the pipeline's child logger, the runner) is teed, redacted, into the catalog under the
 * task's current instance. Bounded: lines are cut at MAX_LINE_CHARS, at most MAX_PENDING wait for
 * the next flush (the rest are counted and reported by one marker line), and the retention job
 * keeps the newest lines of the newest instances (retention.ts). Writing never blocks logging.
 *
 * Line numbers (`seq`) only grow within an instance, also across service restarts: the next one is
 * max(previous + 1, now in microseconds), so no catalog read is needed to continue an instance.
 */
import type { Logger } from '../../logger.ts';
import type { LogLine, MonitoringStore } from '../../store/monitoring-store.ts';
import { redactFields, redactText } from './redact.ts';

const MAX_LINE_CHARS = 2_000;
const MAX_PENDING = 5_000;
const FLUSH_MS = 1_000;

export class InstanceLogWriter {
  private readonly instanceOf = new Map<number, number>();
  private pending: LogLine[] = [];
  private dropped = new Map<number, { taskId: number; count: number }>();
  private lastSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly store: MonitoringStore, private readonly onError: (err: unknown) => void) {}

  /** Lines of the task go to this instance from now on. */
  setInstance(taskId: number, instanceId: number): void {
    this.instanceOf.set(taskId, instanceId);
  }

  instance(taskId: number): number | undefined {
    return this.instanceOf.get(taskId);
  }

  /** Appends a line to the task's current instance; returns its seq (undefined: no instance yet). */
  write(taskId: number, level: string, msg: string, fields: Record<string, unknown> = {}): number | undefined {
    const instanceId = this.instanceOf.get(taskId);
    if (instanceId === undefined) return undefined;
    const seq = this.lastSeq = Math.max(this.lastSeq + 1, Date.now() * 1000);
    if (this.pending.length >= MAX_PENDING) {
      const d = this.dropped.get(instanceId) ?? { taskId, count: 0 };
      d.count++;
      this.dropped.set(instanceId, d);
      return seq;
    }
    const { taskId: _t, ...rest } = fields;
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(redactFields(rest))}` : '';
    let text = `${redactText(msg)}${extra}`;
    if (text.length > MAX_LINE_CHARS) text = `${text.slice(0, MAX_LINE_CHARS)}… [${text.length - MAX_LINE_CHARS} more characters cut]`;
    this.pending.push({ instanceId, seq, taskId, ts: Date.now(), level: level.toUpperCase(), text });
    this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, FLUSH_MS);
    return seq;
  }

  /** Writes what is pending (also called at shutdown). */
  flush(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const lines = this.pending;
    this.pending = [];
    for (const [instanceId, d] of this.dropped) {
      lines.push({ instanceId, taskId: d.taskId, seq: this.lastSeq = Math.max(this.lastSeq + 1, Date.now() * 1000), ts: Date.now(), level: 'WARN', text: `${d.count} log lines were dropped: the task logged faster than its log is written` });
    }
    this.dropped.clear();
    if (lines.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.store.appendLogLines(lines)).catch(this.onError);
    return this.flushing;
  }
}

/**
 * A logger that writes to `inner` and also, for calls whose fields (own or inherited through
 * `child`) carry a numeric `taskId`, to that task's instance log.
 */
export function teeLogger(inner: Logger, writer: InstanceLogWriter, base: Record<string, unknown> = {}): Logger {
  const tee = (level: 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>) => {
    inner[level](msg, fields);
    const all = fields ? { ...base, ...fields } : base;
    if (typeof all.taskId === 'number') writer.write(all.taskId, level, msg, all);
  };
  return {
    // Debug lines stay in the service log: an instance log keeps what an operator reads at info.
    debug: (msg, fields) => inner.debug?.(msg, fields),
    info: tee('info'), warn: tee('warn'), error: tee('error'),
    child: (f) => teeLogger(inner.child(f), writer, { ...base, ...f }),
  };
}
