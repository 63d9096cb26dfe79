/**
 * The bounded queue between a source's socket and the pipeline (the memory rule of
 * change-source.ts): events wait here; above `high` queued events the source stops reading
 * (`flow.pause()`), below `low` it reads again (`flow.resume()`). A failure surfaces from `next`
 * only after everything received before it has been consumed.
 *
 * Batching by what is available: the first `next` that finds the queue drained after delivering
 * events answers `idle` at once instead of waiting `idleMs`, so the pipeline commits what it has as
 * soon as it has consumed everything received (its `idle` rule) rather than when a timer runs out.
 * Under a backlog the queue is rarely empty and batches stay large; a writer's transactions
 * become visible one commit after they arrive. Later calls wait up to `idleMs` as before, so an
 * idle source costs no busy loop.
 */
import type { SourceEvent } from './change-event.ts';

/**
 * Default bounds (events). Reading resumes while the queue still holds more than a sink chunk
 * (pipeline.ts applies 10,000 rows at a time), so the server keeps sending while the target
 * applies instead of the two taking turns.
 */
export const QUEUE_BOUNDS = { high: 20_000, low: 12_000 };

export class SourceEventQueue {
  private events: SourceEvent[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private endRequested = false;
  /** Events were delivered since the last `idle`: the next drained `next` says idle at once. */
  private delivered = false;
  failure: Error | undefined;

  constructor(private readonly flow: { pause(): void; resume(): void }, private readonly bounds = QUEUE_BOUNDS) {}

  /** Events received and not yet consumed. */
  get pending(): number { return this.events.length - this.head; }

  push(ev: SourceEvent): void {
    this.events.push(ev);
    if (this.pending > this.bounds.high) this.flow.pause();
    this.wake?.();
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  requestEnd(): void {
    this.endRequested = true;
    this.wake?.();
  }

  /** Reading may go on if the consumer has caught up below the low mark. */
  resumeIfDrained(): void {
    if (this.pending < this.bounds.low) this.flow.resume();
  }

  /** The next event; `idle` at once when drained after deliveries, else after `idleMs` without one (the class comment); `end` as soon as the end was requested. */
  async next(idleMs: number): Promise<SourceEvent> {
    for (let waited = false; ; waited = true) {
      if (this.endRequested) return { kind: 'end' };
      if (this.head < this.events.length) {
        const ev = this.events[this.head];
        // Consumed slots let go of their events now, not at the next compaction.
        (this.events as (SourceEvent | undefined)[])[this.head++] = undefined;
        if (this.head > 4096 && this.head * 2 > this.events.length) { this.events = this.events.slice(this.head); this.head = 0; }
        this.resumeIfDrained();
        this.delivered = true;
        return ev;
      }
      if (this.failure) throw this.failure;
      if (waited || this.delivered) { this.delivered = false; return { kind: 'idle' }; }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, idleMs);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
      this.wake = undefined;
    }
  }
}
