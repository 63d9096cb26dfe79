/**
 * The PostgreSQL coordinator (the ClusterCoordinator contract, ../cluster-coordinator.ts): node
 * leases renewed on the database's clock by a dedicated session that also holds the node's
 * advisory lock and LISTENs for wake-ups; task ownership rows claimed by compare-and-set on their
 * fence, the fence taken from one sequence (design study ../shared/notes/scale-out.md 6.2-6.4).
 *
 * Self-fencing: when no renewal has succeeded for `leaseMs - LEASE_LOSS_STOP_MS - margin` (local
 * monotonic clock), or the lease session dies (its advisory lock is then free and peers may take
 * over at once), the node reports the lease lost, drops every ownership locally and joins again
 * under a new key. Its pipelines are stopped within LEASE_LOSS_STOP_MS, before any peer can claim.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Logger } from '../../logger.ts';
import type { ClusterCoordinator, NodeView, OwnerView } from '../cluster-coordinator.ts';
import { NODE_LOCK_SQL, ensureClusterSchema } from './cluster-schema.ts';
import { LEASE_LOSS_STOP_MS } from '../cluster-coordinator.ts';

const SAFETY_MARGIN_MS = 500;
const QUERY_TIMEOUT_MS = 5_000;
const CHANNEL = 'opendi_cluster';

export interface PgCoordinatorOptions {
  url: string;
  nodeName: string;
  leaseMs: number;
  heartbeatMs: number;
  /** The highest fence the catalog knows (the sequence starts above it: target fences only grow). */
  seedFence: () => Promise<number>;
  logger: Logger;
}

export class PgCoordinator implements ClusterCoordinator {
  readonly clustered = true;
  nodeKey = '';
  private readonly pool: pg.Pool;
  private session: pg.Client | undefined;
  private lastRenewSent = -Infinity;
  private joined = false;
  private closing = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Tasks this node holds, with their fence: dropped at once when the lease is lost. */
  private readonly held = new Map<number, number>();
  private readonly changeListeners: ((taskId: number | null) => void)[] = [];
  private readonly lostListeners: (() => void)[] = [];

  constructor(private readonly o: PgCoordinatorOptions) {
    if (o.leaseMs < LEASE_LOSS_STOP_MS + SAFETY_MARGIN_MS + 2 * o.heartbeatMs) {
      throw new Error(`the lease (${o.leaseMs} ms) must exceed the lease-loss stop bound (${LEASE_LOSS_STOP_MS} ms), a ${SAFETY_MARGIN_MS} ms margin and two heartbeats (${o.heartbeatMs} ms each)`);
    }
    this.pool = new pg.Pool({
      ...this.clientConfig('cluster'), max: 4, idleTimeoutMillis: 30_000,
    });
    this.pool.on('error', (err) => o.logger.warn('cluster catalog connection error', { error: err.message }));
  }

  get nodeName(): string { return this.o.nodeName; }

  async start(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await ensureClusterSchema(c);
      const seed = await this.o.seedFence();
      await c.query(`SELECT setval('opendi_cluster.fence_seq', GREATEST((SELECT last_value FROM opendi_cluster.fence_seq), $1::bigint, 1))`, [seed]);
    } finally {
      c.release();
    }
    await this.join();
    this.watchdog = setInterval(() => this.checkLease(), 250);
    this.watchdog.unref();
  }

  async claim(taskId: number, seenFence: number): Promise<number | null> {
    if (!this.valid()) return null;
    const r = await this.pool.query(
      `INSERT INTO opendi_cluster.task_owner AS t (task_id, owner_key, fence)
         SELECT $1, $2, nextval('opendi_cluster.fence_seq')
          WHERE EXISTS (SELECT 1 FROM opendi_cluster.node n WHERE n.node_key = $2 AND n.lease_until > clock_timestamp() AND NOT n.draining)
       ON CONFLICT (task_id) DO UPDATE SET owner_key = EXCLUDED.owner_key, fence = EXCLUDED.fence, since = clock_timestamp()
        WHERE t.fence = $3 AND (t.owner_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM opendi_cluster.node n WHERE n.node_key = t.owner_key AND opendi_cluster.node_alive(n.node_key, n.lease_until)))
       RETURNING fence`, [taskId, this.nodeKey, seenFence]);
    if (r.rowCount !== 1) return null;
    const fence = Number(r.rows[0].fence);
    this.held.set(taskId, fence);
    return fence;
  }

  async refence(taskId: number, fence: number): Promise<number | null> {
    if (!this.holds(taskId, fence)) return null;
    const r = await this.pool.query(
      `UPDATE opendi_cluster.task_owner SET fence = nextval('opendi_cluster.fence_seq')
        WHERE task_id = $1 AND owner_key = $2 AND fence = $3
          AND EXISTS (SELECT 1 FROM opendi_cluster.node n WHERE n.node_key = $2 AND n.lease_until > clock_timestamp())
       RETURNING fence`, [taskId, this.nodeKey, fence]);
    if (r.rowCount !== 1) {
      this.held.delete(taskId);
      return null;
    }
    const next = Number(r.rows[0].fence);
    this.held.set(taskId, next);
    return next;
  }

  async release(taskId: number, fence: number): Promise<void> {
    this.held.delete(taskId);
    await this.pool.query(`UPDATE opendi_cluster.task_owner SET owner_key = NULL WHERE task_id = $1 AND owner_key = $2 AND fence = $3`, [taskId, this.nodeKey, fence]);
    await this.wake(taskId);
  }

  async seize(taskId: number): Promise<number> {
    const r = await this.pool.query(
      `INSERT INTO opendi_cluster.task_owner AS t (task_id, owner_key, fence) VALUES ($1, NULL, nextval('opendi_cluster.fence_seq'))
       ON CONFLICT (task_id) DO UPDATE SET owner_key = NULL, fence = EXCLUDED.fence, since = clock_timestamp() RETURNING fence`, [taskId]);
    this.held.delete(taskId);
    await this.wake(taskId);
    return Number(r.rows[0].fence);
  }

  holds(taskId: number, fence: number): boolean {
    return this.valid() && this.held.get(taskId) === fence;
  }

  async nodes(): Promise<NodeView[]> {
    const r = await this.pool.query(
      `SELECT node_key, name, draining, opendi_cluster.node_alive(node_key, lease_until) AS live,
              (extract(epoch FROM clock_timestamp() - joined_at) * 1000)::float8 AS age
         FROM opendi_cluster.node`);
    return r.rows.map((n) => ({ key: n.node_key, name: n.name, live: n.live, draining: n.draining, ageMs: n.age }));
  }

  async owners(): Promise<OwnerView[]> {
    const r = await this.pool.query(`SELECT task_id, owner_key, fence FROM opendi_cluster.task_owner`);
    return r.rows.map((o) => ({ taskId: Number(o.task_id), owner: o.owner_key, fence: Number(o.fence) }));
  }

  async ownerOf(taskId: number): Promise<{ owner: string; name: string | null; live: boolean } | null> {
    const r = await this.pool.query(
      `SELECT o.owner_key, n.name, n.node_key IS NOT NULL AND opendi_cluster.node_alive(n.node_key, n.lease_until) AS live
         FROM opendi_cluster.task_owner o LEFT JOIN opendi_cluster.node n ON n.node_key = o.owner_key
        WHERE o.task_id = $1 AND o.owner_key IS NOT NULL`, [taskId]);
    return r.rows.length === 0 ? null : { owner: r.rows[0].owner_key, name: r.rows[0].name ?? null, live: r.rows[0].live };
  }

  /** Deletes the rows of dead nodes, so a frozen node that wakes finds its lease gone. */
  async reapDead(): Promise<void> {
    await this.pool.query(`DELETE FROM opendi_cluster.node n WHERE NOT opendi_cluster.node_alive(n.node_key, n.lease_until)`);
  }

  async setDraining(): Promise<void> {
    await this.pool.query(`UPDATE opendi_cluster.node SET draining = true WHERE node_key = $1`, [this.nodeKey]);
    await this.wake(0);
  }

  async wake(taskId: number): Promise<void> {
    await this.pool.query(`SELECT pg_notify($1, $2)`, [CHANNEL, String(taskId)]);
  }

  onChange(listener: (taskId: number | null) => void): void { this.changeListeners.push(listener); }
  onLeaseLost(listener: () => void): void { this.lostListeners.push(listener); }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    clearTimeout(this.heartbeat);
    if (this.joined) await this.pool.query(`DELETE FROM opendi_cluster.node WHERE node_key = $1`, [this.nodeKey]).catch(() => undefined);
    this.joined = false;
    await this.session?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /** The lease is surely still ours: renewed (request sent) less than its safe part ago. */
  private valid(): boolean {
    return this.joined && performance.now() - this.lastRenewSent < this.o.leaseMs - LEASE_LOSS_STOP_MS - SAFETY_MARGIN_MS;
  }

  private checkLease(): void {
    if (this.joined && !this.valid()) this.lose('no lease renewal succeeded in time');
  }

  private lose(reason: string): void {
    if (!this.joined) return;
    this.joined = false;
    this.held.clear();
    clearTimeout(this.heartbeat);
    this.o.logger.error('lost the cluster lease: stopping every pipeline of this node, then joining again', { node: this.o.nodeName, nodeKey: this.nodeKey, reason });
    for (const l of this.lostListeners) l();
    const old = this.session;
    this.session = undefined;
    old?.end().catch(() => undefined);
    void this.rejoin();
  }

  private async rejoin(): Promise<void> {
    for (let attempt = 0; !this.closing && !this.joined; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5_000)));
      if (this.closing) return;
      try {
        await this.join();
      } catch (err) {
        this.o.logger.warn('could not join the cluster again; retrying', { error: (err as Error).message });
      }
    }
  }

  /** A new key per join: a node that lost its lease never inherits its old ownerships. */
  private async join(): Promise<void> {
    const key = `${this.o.nodeName}/${randomUUID().slice(0, 8)}`;
    const s = new pg.Client({ ...this.clientConfig('lease'), query_timeout: QUERY_TIMEOUT_MS });
    s.on('error', (err) => { if (this.session === s) this.lose(`lease session error: ${err.message}`); });
    s.on('end', () => { if (this.session === s && !this.closing) this.lose('lease session ended'); });
    s.on('notification', (n) => {
      const id = Number(n.payload);
      for (const l of this.changeListeners) l(Number.isFinite(id) && id > 0 ? id : null);
    });
    try {
      await s.connect();
      await s.query(`SELECT ${NODE_LOCK_SQL}`, [key]);
      const sent = performance.now();
      await s.query(`INSERT INTO opendi_cluster.node (node_key, name, lease_until) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')`, [key, this.o.nodeName, this.o.leaseMs]);
      await s.query(`LISTEN ${CHANNEL}`);
      // close() ran meanwhile: leave (ending the session frees the node lock; drop the row it wrote).
      if (this.closing) throw new Error('the coordinator closed while joining');
      this.session = s;
      this.nodeKey = key;
      this.lastRenewSent = sent;
      this.joined = true;
    } catch (err) {
      if (this.closing) await s.query(`DELETE FROM opendi_cluster.node WHERE node_key = $1`, [key]).catch(() => undefined);
      await s.end().catch(() => undefined);
      throw err;
    }
    this.o.logger.info('joined the cluster', { node: this.o.nodeName, nodeKey: key, leaseMs: this.o.leaseMs });
    for (const l of this.changeListeners) l(null);
    this.scheduleRenew();
  }

  private scheduleRenew(): void {
    this.heartbeat = setTimeout(() => void this.renew(), this.o.heartbeatMs);
    this.heartbeat.unref();
  }

  private async renew(): Promise<void> {
    const s = this.session;
    if (!s || !this.joined) return;
    const sent = performance.now();
    try {
      const r = await s.query(
        `UPDATE opendi_cluster.node SET lease_until = clock_timestamp() + $2 * interval '1 millisecond'
          WHERE node_key = $1 AND lease_until > clock_timestamp() RETURNING 1`, [this.nodeKey, this.o.leaseMs]);
      if (this.session !== s) return;
      if (r.rowCount !== 1) { this.lose('the lease had expired or was taken'); return; }
      this.lastRenewSent = sent;
    } catch (err) {
      this.o.logger.warn('could not renew the cluster lease; retrying', { error: (err as Error).message });
    }
    if (this.session === s && this.joined) this.scheduleRenew();
  }

  private clientConfig(purpose: string): pg.ClientConfig {
    return {
      connectionString: this.o.url, application_name: `opendi:${this.o.nodeName}:${purpose}`.slice(0, 63),
      connectionTimeoutMillis: QUERY_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS, keepAlive: true,
    };
  }
}
