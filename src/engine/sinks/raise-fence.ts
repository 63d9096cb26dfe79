/**
 * The forced path's fence raise at the target (README "Running several nodes"; task-lifecycle.ts
 * halt()): a Stop whose owner did not answer raises the fence in the task's checkpoint row, so the
 * owner cannot commit again (docs/target-checkpoint.md). An owner frozen (SIGSTOP, a GC pause, a
 * hung VM) between its checkpoint UPDATE and COMMIT keeps that row locked; waiting for it would
 * take the checkpoint statements' whole lock bound (PostgreSQL 30 s, MySQL 50 s), far past an API
 * client's timeout. So the raise waits at most FENCE_LOCK_WAIT_MS, and while it waits it looks at
 * who blocks it (PostgreSQL pg_blocking_pids; MariaDB INNODB_LOCK_WAITS: a waiting session is what
 * these name the holders of, so the look cannot wait for the wait to end) and ends a holder that
 * belongs to the node that did not answer. Its transaction rolls back: nothing is lost, the
 * position commits with the rows, so the next owner replays them; the woken owner's later commits
 * find the raised fence. After ending a holder, a raise that still fails is tried once more; then
 * it fails naming the table and the holders (the catalog fence already guards correctness).
 *
 * A holder is the unresponsive node's when its connection name is `opendi:<node>:<task>` or
 * `opendi:<node>:target-pool` (every task connection and the node's shared target pool carry it:
 * pipeline-factory.ts; connection-name.ts reads the node). A server that cannot
 * show names (MariaDB with performance_schema off) falls back to: the target's user, and idle in
 * its open transaction since before the look (a live node's checkpoint transaction commits within
 * milliseconds of its row update; another task's sessions never lock this task's row).
 */
import type { Logger } from '../../logger.ts';
import type { LockHolder, Owner, PreparedTable, SinkDialect } from './sink-dialect.ts';
import { nodeOfConnection } from '../connection-name.ts';

/** The whole wait for the checkpoint row, per attempt: inside an API call's time (the SDK's 5 s and more). */
export const FENCE_LOCK_WAIT_MS = 3_000;
/** A wait this long has no live checkpoint commit in front of it: look at who holds the row (and again at this pace). */
export const FENCE_LOOK_EVERY_MS = 500;

export interface FenceRaise {
  /** The node that did not answer (its cluster name); null when unknown: no session is ended. */
  unresponsiveNode: string | null;
  /** The user the task connects to the target as (the fallback when names cannot be read). */
  targetUser: string;
  logger: Logger;
  lockWaitMs?: number;
  lookEveryMs?: number;
}

/** Raises the fence of `owner`'s checkpoint row to `fence`; 'fenced': a fence as high is there already. */
export async function raiseFence<C>(d: SinkDialect<C, PreparedTable>, owner: Owner, fence: number, o: FenceRaise): Promise<'raised' | 'fenced'> {
  const onError = (err: Error) => o.logger.warn('fence raise: target session error', { error: err.message });
  const c = await d.connect(onError);
  let side: C | undefined;
  try {
    await d.checkpoint.ensureTables(c, owner);
    const waiter = await d.sessions.sessionId(c);
    for (let attempt = 1; ; attempt++) {
      let settled = false;
      const claim = d.checkpoint.claim(c, owner, fence, o.lockWaitMs ?? FENCE_LOCK_WAIT_MS);
      const over = claim.then(() => undefined, () => undefined).finally(() => { settled = true; });
      const ended: LockHolder[] = [];
      let seen: LockHolder[] = [];
      let lookFailed: string | null = null;
      const watch = async () => {
        for (;;) {
          await Promise.race([over, new Promise((r) => setTimeout(r, o.lookEveryMs ?? FENCE_LOOK_EVERY_MS).unref())]);
          if (settled) return;
          side ??= await d.connect(onError);
          const { holders, named } = await d.sessions.blockers(side, waiter);
          if (settled) return;
          if (holders.length > 0) seen = holders;
          for (const h of holders) {
            if (ended.some((e) => e.id === h.id) || !belongsTo(h, named, o)) continue;
            await d.sessions.endSession(side, h.id);
            ended.push(h);
            o.logger.warn('fence raise: ended a target session of the unresponsive node that held the checkpoint row; its open transaction rolls back and the next owner replays it',
              { taskId: owner.taskId, node: o.unresponsiveNode, session: describe(h), identifiedBy: named ? 'connection name' : 'user and idle transaction (the server shows no connection names)' });
          }
        }
      };
      const watching = watch().catch((err: unknown) => { lookFailed = (err as Error).message; });
      try {
        const claimed = await claim;
        await watching;
        return claimed === 'fenced' ? 'fenced' : 'raised';
      } catch (err) {
        await watching;
        if (ended.length > 0 && attempt === 1) continue;
        const others = seen.filter((h) => !ended.some((e) => e.id === h.id));
        const held = others.length > 0 ? `; blocked by ${others.map(describe).join(', ')}, not ended: ${o.unresponsiveNode === null
          ? 'the node that did not answer is not known' : `not a session of node ${o.unresponsiveNode}`}` : '';
        throw new Error(`could not raise the target fence of task ${owner.taskId}: ${(err as Error).message}${held}${lookFailed ? `; looking for the holder failed: ${lookFailed}` : ''}`, { cause: err });
      }
    }
  } finally {
    for (const s of [c, side]) if (s !== undefined) await d.end(s).catch(() => d.destroy(s));
  }
}

function belongsTo(h: LockHolder, named: boolean, o: FenceRaise): boolean {
  if (o.unresponsiveNode === null) return false;
  if (named) return h.name !== null && nodeOfConnection(h.name) === o.unresponsiveNode;
  return h.user === o.targetUser && h.idle && (h.idleMs ?? 0) >= (o.lookEveryMs ?? FENCE_LOOK_EVERY_MS);
}

function describe(h: LockHolder): string {
  return `session ${h.id} (${h.name ? `'${h.name}', ` : ''}${h.state})`;
}
