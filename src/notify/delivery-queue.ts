/**
 * Notifications leave the service through this queue, never from the data path: at most
 * `concurrency` run at once and at most `capacity` wait; past that a notification fails at once
 * ("queue full") instead of holding memory. Each job is itself bounded in time (http-post.ts).
 */
export class DeliveryQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency: number, private readonly capacity: number) {}

  get depth(): number { return this.running + this.waiting.length; }

  /** Runs `job` when a slot is free; null when the queue is full (the job never runs). */
  async run<T>(job: () => Promise<T>): Promise<T | null> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.capacity) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      return await job();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
