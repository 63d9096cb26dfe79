/**
 * A Stop (or Terminate) through a node that does not own the task: desired STOP is written and
 * the nodes woken; the owner stops its pipeline gracefully, writes PAUSE and gives the task up.
 * This waits for that within the same bound as a local stop (plus a margin for the wake-up and
 * the catalog round trips): 'stopped' (nobody owns the task any more), 'dead' (its owner's lease
 * is gone) or 'timeout' (the owner did not answer: the caller takes the task by fence). `node`:
 * the name of the owner that did not answer (null when unknown), whose target sessions the fence
 * raise may end (engine/sinks/raise-fence.ts).
 */
import type { ClusterCoordinator } from '../cluster/cluster-coordinator.ts';

/** The owner hears of the Stop through NOTIFY (milliseconds) or its next reconcile tick (1 s). */
export const REMOTE_STOP_MARGIN_MS = 1_000;
const POLL_MS = 250;

export interface OwnerAnswer { answer: 'stopped' | 'dead' | 'timeout'; node: string | null }

export async function waitForOwner(cluster: ClusterCoordinator, taskId: number, stopTimeoutMs: number): Promise<OwnerAnswer> {
  await cluster.wake(taskId);
  const deadline = Date.now() + stopTimeoutMs + REMOTE_STOP_MARGIN_MS;
  for (;;) {
    const owner = await cluster.ownerOf(taskId);
    if (owner === null) return { answer: 'stopped', node: null };
    if (!owner.live) return { answer: 'dead', node: owner.name };
    if (Date.now() >= deadline) return { answer: 'timeout', node: owner.name };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
