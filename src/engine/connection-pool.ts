/**
 * A bounded pool of connections shared by the tasks that use one data source (endpoint +
 * credentials): target writes (sinks/target-pools.ts; sinks take a connection for a transaction,
 * or one statement outside one) and a PostgreSQL source's control queries
 * (sources/postgres/control-pools.ts; one query or a short sequence). A connection is held only
 * while in use, so an idle task holds none and many tasks share a few (docs/target-checkpoint.md
 * "Connections").
 *
 * Bounds: at most `max` connections; `acquire` waits at most `acquireTimeoutMs` for one (then a
 * retryable error naming the pool), and opening one (connect and session setup) takes at most
 * that long too: a server that accepts TCP but never answers, or hangs in a setup statement, gets
 * the abort signal (the connect destroys the half-open connection), its slot back and a retryable
 * error; a connection that still arrives after is destroyed. An idle connection is closed after
 * `idleMs`. A connection that reported an error, or is given back `broken` (its task failed or was
 * torn down while it was in use), is destroyed, never handed out again: one task's failure does
 * not reach another.
 */
import type { Logger } from '../logger.ts';

export interface PoolOptions { max: number; acquireTimeoutMs: number; idleMs: number }

export const DEFAULT_POOL_OPTIONS: PoolOptions = { max: 10, acquireTimeoutMs: 30_000, idleMs: 10_000 };

export interface PooledConnections<C> {
  acquire(): Promise<C>;
  /** `broken`: destroy it (in an unknown state: a failed statement, a torn-down task). */
  release(c: C, broken: boolean): void;
}

interface Waiter<C> { resolve(c: C): void; reject(err: Error): void; timer: NodeJS.Timeout }

export class ConnectionPool<C> implements PooledConnections<C> {
  private readonly idle: { c: C; timer: NodeJS.Timeout }[] = [];
  private readonly waiters: Waiter<C>[] = [];
  private readonly broken = new Set<C>();
  private total = 0;
  private ended = false;

  constructor(
    private readonly label: string,
    private readonly connect: (onError: (err: Error) => void, signal: AbortSignal) => Promise<C>,
    private readonly close: (c: C) => Promise<void>,
    private readonly destroy: (c: C) => void,
    private options: PoolOptions,
    private readonly logger: Logger,
    /** What the connections are for, in messages: 'target', 'source control'. */
    private readonly role = 'target',
  ) {}

  /**
   * At least `n` connections: one task's lanes hold theirs together in open transactions, so a pool
   * smaller than a task's lanes would make the task wait for itself.
   */
  ensureCapacity(n: number): void {
    if (n > this.options.max) this.options = { ...this.options, max: n };
  }

  /** Connections open now (in use and idle). */
  get size(): number { return this.total; }

  async acquire(): Promise<C> {
    if (this.ended) throw new Error(`the ${this.role} connection pool ${this.label} is closed`);
    const ready = this.idle.pop();
    if (ready) {
      clearTimeout(ready.timer);
      return ready.c;
    }
    if (this.total < this.options.max) return this.open();
    return new Promise<C>((resolve, reject) => {
      const waiter: Waiter<C> = {
        resolve, reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error(`no ${this.role} connection of ${this.label} became free within ${this.options.acquireTimeoutMs} ms `
            + `(all ${this.options.max} in use by the tasks using it); the task retries`));
        }, this.options.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  release(c: C, broken: boolean): void {
    if (broken || this.broken.has(c) || this.ended) {
      this.discard(c);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(c);
      return;
    }
    const entry = { c, timer: setTimeout(() => this.expire(entry), this.options.idleMs) };
    entry.timer.unref();
    this.idle.push(entry);
  }

  /** Closes the idle connections; those in use are destroyed when given back. */
  async end(): Promise<void> {
    this.ended = true;
    for (const w of this.waiters.splice(0)) { clearTimeout(w.timer); w.reject(new Error(`the ${this.role} connection pool ${this.label} is closed`)); }
    const idle = this.idle.splice(0);
    this.total -= idle.length;
    await Promise.allSettled(idle.map((e) => { clearTimeout(e.timer); return this.close(e.c).catch(() => this.destroy(e.c)); }));
  }

  private open(): Promise<C> {
    this.total++;
    const abort = new AbortController();
    let conn: C | undefined;
    let late = false;
    return new Promise<C>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        late = true;
        abort.abort();
        failed(new Error(`could not open a ${this.role} connection of ${this.label} within ${this.options.acquireTimeoutMs} ms `
          + '(the server did not complete the connect and session setup); the task retries'));
      }, this.options.acquireTimeoutMs);
      const failed = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.total--;
        this.wakeOne();
        reject(err);
      };
      this.connect((err) => {
        this.logger.warn(`${this.role} connection error`, { pool: this.label, error: err });
        if (conn === undefined || late) return;
        this.broken.add(conn);
        const i = this.idle.findIndex((e) => e.c === conn);
        if (i >= 0) { clearTimeout(this.idle[i].timer); this.idle.splice(i, 1); this.discard(conn); }
      }, abort.signal).then((c) => {
        // Arrived after the acquire gave up (its slot is free again): nobody may use it.
        if (late) { this.destroy(c); return; }
        conn = c;
        settled = true;
        clearTimeout(timer);
        resolve(c);
      }, failed);
    });
  }

  private expire(entry: { c: C; timer: NodeJS.Timeout }): void {
    const i = this.idle.indexOf(entry);
    if (i < 0) return;
    this.idle.splice(i, 1);
    this.total--;
    this.close(entry.c).catch(() => this.destroy(entry.c));
  }

  private discard(c: C): void {
    this.broken.delete(c);
    this.total--;
    this.destroy(c);
    this.wakeOne();
  }

  /** A slot became free: a waiter gets a new connection. */
  private wakeOne(): void {
    if (this.ended || this.waiters.length === 0 || this.total >= this.options.max) return;
    const waiter = this.waiters.shift()!;
    clearTimeout(waiter.timer);
    this.open().then(waiter.resolve, waiter.reject);
  }
}
