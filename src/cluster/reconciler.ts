/**
 * The reconciler every cluster node runs (README "Running several nodes"; design study
 * ../shared/notes/scale-out.md 6.3, 6.6): each tick (1 s, and at once on a wake-up) it compares
 * the desired state in the catalog with ownership and with what runs here.
 * - A task meant to RUN with no live owner goes to the least-loaded live, non-draining node (ties:
 *   rendezvous hash), which claims it at once; any node may claim it after a short grace, so one
 *   slow node cannot hold a takeover up. Every node computes the same pick from the same rows.
 * - A local pipeline whose task is no longer meant to run stops gracefully (PAUSE); one whose
 *   ownership is gone steps down without writing.
 * - Balance: the most loaded node, when it has at least two tasks more than a settled peer (a member
 *   for `settleMs`), hands one off gracefully; one hand-off at a time. Draining nodes hand off all.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { CatalogStore } from '../store/catalog-store.ts';
import type { ClusterCoordinator, NodeView } from './cluster-coordinator.ts';

/** What the reconciler asks of this node's task lifecycle (src/runtime/task-lifecycle.ts). */
export interface LocalTasks {
  /** Task id -> fence of the pipelines running here. */
  running(): Map<number, number>;
  adopt(taskId: number, fence: number): Promise<void>;
  stopOwned(taskId: number): Promise<void>;
  handOff(taskId: number): Promise<void>;
  abandon(taskId: number): Promise<void>;
}

export interface ReconcilerOptions { tickMs: number; claimGraceMs: number; settleMs: number }

/** What a config check says when the node running it died (GenerateDISyncTaskConfig*; src/runtime/config-processor.ts). */
export const CHECK_NODE_DIED_MESSAGE = 'interrupted: the cluster node running the check stopped; run the check again';

/** A task this node handed off is not claimed back by it for this long. */
const REVISIT_AFTER_HANDOFF_MS = 5_000;

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  private draining = false;
  private closed = false;
  private handingOff: Promise<void> | undefined;
  private readonly busy = new Set<number>();
  private readonly orphanSince = new Map<number, number>();
  private readonly handedOff = new Map<number, number>();

  constructor(
    private readonly c: ClusterCoordinator, private readonly store: CatalogStore, private readonly tasks: LocalTasks,
    private readonly logger: Logger, private readonly o: ReconcilerOptions,
  ) {
    c.onChange(() => this.kick());
    c.onLeaseLost(() => {
      this.orphanSince.clear();
      for (const id of this.tasks.running().keys()) void this.tasks.abandon(id);
    });
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.tickMs);
    this.timer.unref();
    this.kick();
  }

  kick(): void {
    if (this.closed) return;
    if (this.ticking) { this.again = true; return; }
    this.ticking = true;
    void this.tick().catch((err) => this.logger.warn('cluster reconcile failed; retrying at the next tick', { error: (err as Error).message }))
      .finally(() => {
        this.ticking = false;
        if (this.again) { this.again = false; this.kick(); }
      });
  }

  /**
   * SIGTERM: stop taking tasks, hand every local task to a peer (one at a time), bounded by `deadlineMs`.
   * It returns once a live peer owns each task handed off (or at the deadline), so the node exits
   * with none of its tasks unowned: a task released just before the exit would otherwise wait for
   * a peer's next tick with nobody running it.
   */
  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    await this.c.setDraining().catch(() => undefined);
    const until = Date.now() + deadlineMs;
    const handed = new Set(this.tasks.running().keys());
    const pause = () => new Promise((r) => setTimeout(r, 200));
    while (Date.now() < until && this.tasks.running().size > 0) {
      if ((await this.livePeers().catch(() => new Set<string>())).size === 0) break;
      this.kick();
      await pause();
    }
    await this.handingOff;
    while (Date.now() < until) {
      // A catalog that fails a read here is asked again: read as "nobody", it would end the wait early.
      const seen = await Promise.all([this.livePeers(), this.c.owners(), this.store.listTaskRuntimes({ desired: 'RUN' })]).catch(() => null);
      if (seen) {
        const [peers, owners, wanted] = seen;
        if (peers.size === 0) break;
        const ownerOf = new Map(owners.map((o) => [o.taskId, o.owner]));
        const want = new Set(wanted.map((r) => r.fileId));
        // A task stopped meanwhile (desired STOP) stays unowned: nothing to wait for.
        if ([...handed].every((id) => !want.has(id) || peers.has(ownerOf.get(id) ?? ''))) break;
      }
      await pause();
    }
  }

  /** Live, non-draining nodes other than this one. */
  private async livePeers(): Promise<Set<string>> {
    const nodes = await this.c.nodes();
    return new Set(nodes.filter((n) => n.live && !n.draining && n.key !== this.c.nodeKey).map((n) => n.key));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    const me = this.c.nodeKey;
    const [nodes, owners, wanted] = await Promise.all([this.c.nodes(), this.c.owners(), this.store.listTaskRuntimes({ desired: 'RUN' })]);
    if (!nodes.some((n) => n.key === me && n.live)) return; // not (or no longer) a member: nothing to decide
    const live = new Set(nodes.filter((n) => n.live).map((n) => n.key));
    if (nodes.some((n) => !n.live)) {
      // Before the dead nodes' rows go (and only then): their config checks would otherwise stay `running` for good.
      if (await this.failChecksOfDeadNodes([...live])) await this.c.reapDead();
    }
    const want = new Set(wanted.map((r) => r.fileId));
    const ownerOf = new Map(owners.map((o) => [o.taskId, o]));
    const local = this.tasks.running();

    for (const [id, fence] of local) {
      if (this.busy.has(id)) continue;
      const owner = ownerOf.get(id)?.owner;
      if (fence > 0 && (!this.c.holds(id, fence) || (owner !== undefined && owner !== me))) this.background(id, () => this.tasks.abandon(id));
      else if (!want.has(id)) this.background(id, () => this.tasks.stopOwned(id));
    }

    const eligible = nodes.filter((n) => n.live && !n.draining).sort((a, b) => a.key.localeCompare(b.key));
    const counts = new Map(eligible.map((n) => [n.key, 0]));
    for (const o of owners) if (o.owner && want.has(o.taskId) && counts.has(o.owner)) counts.set(o.owner, counts.get(o.owner)! + 1);
    const now = Date.now();
    const orphans = [...want].filter((id) => { const o = ownerOf.get(id); return !o?.owner || !live.has(o.owner); }).sort((a, b) => a - b);
    for (const id of [...this.orphanSince.keys()]) if (!orphans.includes(id)) this.orphanSince.delete(id);
    for (const id of orphans) {
      if (eligible.length === 0) break;
      const pick = leastLoaded(id, eligible, counts);
      counts.set(pick, counts.get(pick)! + 1);
      const since = this.orphanSince.get(id) ?? now;
      this.orphanSince.set(id, since);
      if (this.draining || !counts.has(me) || local.has(id) || this.busy.has(id)) continue;
      if (pick !== me && now - since < this.o.claimGraceMs) continue;
      if (now - (this.handedOff.get(id) ?? -Infinity) < REVISIT_AFTER_HANDOFF_MS && eligible.length > 1) continue;
      const fence = await this.c.claim(id, ownerOf.get(id)?.fence ?? 0);
      if (fence === null) continue;
      this.orphanSince.delete(id);
      await this.tasks.adopt(id, fence);
    }

    if (!this.handingOff) this.rebalance(eligible, counts, local, want);
  }

  /** False when the catalog refused: the dead nodes are then kept (not reaped), so the next tick tries again. */
  private async failChecksOfDeadNodes(live: string[]): Promise<boolean> {
    try {
      const failed = await this.store.failConfigProcessesOfDeadNodes(live, CHECK_NODE_DIED_MESSAGE);
      if (failed > 0) this.logger.warn('config checks of a node that stopped were marked failed', { count: failed });
      return true;
    } catch (err) {
      this.logger.warn('could not mark the config checks of a stopped node failed; retrying at the next tick', { error: (err as Error).message });
      return false;
    }
  }

  private rebalance(eligible: NodeView[], counts: Map<string, number>, local: Map<number, number>, want: Set<number>): void {
    const me = this.c.nodeKey;
    const mine = [...local.keys()].filter((id) => want.has(id) && !this.busy.has(id)).sort((a, b) => a - b);
    if (mine.length === 0) return;
    let give: number | undefined;
    if (this.draining) {
      if (eligible.some((n) => n.key !== me)) give = mine[0];
    } else {
      // Only the most loaded node (ties: the first key) gives, so hand-offs go one at a time across
      // the cluster and each lands on the least-loaded node instead of crossing between peers.
      const settled = eligible.filter((n) => n.ageMs >= this.o.settleMs && n.key !== me);
      const least = Math.min(...settled.map((n) => counts.get(n.key) ?? 0));
      const most = Math.max(...eligible.map((n) => counts.get(n.key) ?? 0));
      const giver = eligible.find((n) => (counts.get(n.key) ?? 0) === most)?.key;
      if (settled.length > 0 && giver === me && mine.length - least >= 2) give = mine[mine.length - 1];
    }
    if (give === undefined) return;
    const id = give;
    this.handedOff.set(id, Date.now());
    this.handingOff = this.background(id, () => this.tasks.handOff(id)).finally(() => { this.handingOff = undefined; this.kick(); });
  }

  private background(id: number, work: () => Promise<void>): Promise<void> {
    this.busy.add(id);
    return work().catch((err) => this.logger.error('cluster task change failed', { taskId: id, error: (err as Error).message }))
      .finally(() => this.busy.delete(id));
  }
}

/** The live node with the fewest tasks; ties go to the highest rendezvous hash of (task, node). */
function leastLoaded(taskId: number, nodes: NodeView[], counts: Map<string, number>): string {
  let best: { key: string; n: number; h: string } | undefined;
  for (const node of nodes) {
    const n = counts.get(node.key) ?? 0;
    const h = createHash('sha1').update(`${taskId}/${node.key}`).digest('hex');
    if (!best || n < best.n || (n === best.n && h > best.h)) best = { key: node.key, n, h };
  }
  return best!.key;
}

