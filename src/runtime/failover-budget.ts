/**
 * StartParam.failoverLimit: more than `count` automatic restarts within `interval` minutes makes
 * the task FAILED. A sliding window over restart times.
 */
export class FailoverBudget {
  private readonly restarts: number[] = [];

  constructor(private readonly count: number, private readonly intervalMinutes: number) {}

  /** Records a restart at `now`; false when the limit is exceeded. */
  tryRestart(now = Date.now()): boolean {
    const windowStart = now - this.intervalMinutes * 60_000;
    while (this.restarts.length > 0 && this.restarts[0] < windowStart) this.restarts.shift();
    this.restarts.push(now);
    return this.restarts.length <= this.count;
  }

  get used(): number { return this.restarts.length; }

  /** Exponential backoff for the n-th restart in the window: 1 s, 2 s, 4 s ... capped at 30 s. */
  backoffMs(): number {
    return Math.min(30_000, 1000 * 2 ** Math.max(0, this.restarts.length - 1));
  }
}
