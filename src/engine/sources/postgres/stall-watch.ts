/**
 * Decides when a silent walsender is stalled (docs/cdc-failure-modes.md, mode 16). A healthy
 * walsender answers our status pings (replication-stream.ts) within a second; one that has sent
 * nothing, not even a keepalive, for `stallMs` while we were reading is asked about through a
 * separate connection (pg_stat_activity):
 * - gone, or the server does not answer: stalled;
 * - waiting for WAL or for the client (Client / Activity wait events), yet deaf to our pings:
 *   stalled (frozen process, half-open connection);
 * - busy (on CPU, or reading/writing its reorder buffer): still decoding a large transaction.
 *   While it replays one that touches no published table, PostgreSQL sends nothing but a keepalive
 *   every wal_sender_timeout / 2 (measured on PostgreSQL 15: a 3-million-row transaction on an
 *   unpublished table left the stream silent for 5 s), so a busy walsender gets until half the
 *   server's wal_sender_timeout plus `stallMs` before it counts as stalled too.
 */
import type { Logger } from '../../../logger.ts';

export type WalsenderState = { state: 'gone' } | { state: 'waiting' | 'busy'; waitEvent: string | null };

export interface StallWatchOptions {
  stallMs: number;
  /** The server's wal_sender_timeout in ms (0: disabled). */
  walSenderTimeoutMs: number;
  /** How long the walsender has been silent while we were reading. */
  silentMs(): number;
  /** Where the walsender stands, asked through another connection; rejects when the server does not answer in time. */
  probe(): Promise<WalsenderState>;
  onStall(detail: string): void;
  logger: Logger;
  /** How often silence is looked at (default 1 s). */
  checkMs?: number;
}

const CHECK_MS = 1_000;

/** Client / Activity wait events are a walsender idling in its loop (PostgreSQL docs, "Wait Events"). */
export function classifyWaitEvent(type: string | null): 'waiting' | 'busy' {
  return type === 'Client' || type === 'Activity' ? 'waiting' : 'busy';
}

export class StallWatch {
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private lastProbeAt = 0;
  private reportedBusy = false;

  constructor(private readonly o: StallWatchOptions) {}

  /** The longest silence tolerated from a walsender that is busy decoding. */
  get busyLimitMs(): number {
    const promised = this.o.walSenderTimeoutMs > 0 ? this.o.walSenderTimeoutMs / 2 : 3 * this.o.stallMs;
    return Math.max(this.o.stallMs, promised) + this.o.stallMs;
  }

  start(): void {
    this.timer = setInterval(() => { void this.check(); }, this.o.checkMs ?? CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async check(): Promise<void> {
    const silent = this.o.silentMs();
    if (silent <= this.o.stallMs) { this.reportedBusy = false; return; }
    if (this.probing || !this.timer) return;
    const seconds = Math.round(silent / 1000);
    if (silent > this.busyLimitMs) {
      return this.stall(`the walsender sent nothing, not even a keepalive, for ${seconds} s (PostgreSQL sends one at least every wal_sender_timeout / 2 even while decoding)`);
    }
    if (Date.now() - this.lastProbeAt < this.o.stallMs / 3) return;
    this.probing = true;
    this.lastProbeAt = Date.now();
    try {
      const w = await this.o.probe();
      if (!this.timer) return;
      if (w.state === 'gone') return this.stall(`the walsender sent nothing for ${seconds} s and has exited`);
      if (w.state === 'waiting') {
        return this.stall(`the walsender sent nothing for ${seconds} s and did not answer our status pings, although it is idle (wait event ${w.waitEvent})`);
      }
      if (!this.reportedBusy) {
        this.reportedBusy = true;
        this.o.logger.info('the walsender is silent while it decodes (a large transaction?); waiting for it', { silentSeconds: seconds, waitEvent: w.waitEvent });
      }
    } catch (err) {
      if (this.timer) this.stall(`the walsender sent nothing for ${seconds} s and the server did not answer a status query: ${(err as Error).message}`);
    } finally {
      this.probing = false;
    }
  }

  private stall(detail: string): void {
    this.stop();
    this.o.onStall(detail);
  }
}
