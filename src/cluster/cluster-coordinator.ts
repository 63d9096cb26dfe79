/**
 * The cluster coordinator port: which node runs which task (README "Running several nodes";
 * design study ../shared/notes/scale-out.md section 6). Two implementations: `LocalCoordinator`
 * (one process, SQLite catalog: this node owns every task, fences come from the task's runtime
 * row as before) and `PgCoordinator` (./postgres/: node leases and task ownership in PostgreSQL).
 *
 * Contract:
 * - Leases expire by the coordinating database's clock only; node clocks are never compared.
 * - `claim` / `refence` / `seize` hand out fencing tokens that only ever grow (one sequence for
 *   the whole cluster): the token is the task's pipeline fence, so the target's checkpoint row
 *   refuses any older owner's commit (docs/target-checkpoint.md).
 * - `claim` succeeds for exactly one node; `refence` (a restart inside one owner) succeeds only
 *   while the caller still owns the task with that token: null means "no longer the owner",
 *   and the caller must step down without writing anything.
 * - `holds` is a local, synchronous check: true only while this node's lease is surely still
 *   valid (renewed less than the lease's safe part ago, by the local monotonic clock) and it
 *   has not lost the task. A node stops its pipelines before its lease can be taken over
 *   (`onLeaseLost` fires early enough: lease TTL > stop bound).
 * - `onChange` fires on wake-ups (another node changed desired state or ownership); it is only
 *   a hint: the state lives in the rows, a periodic tick catches anything a wake-up missed.
 */
/** A node that lost its lease stops its pipelines (forced) within this bound (the runtime's stop, the coordinator's lease budget). */
export const LEASE_LOSS_STOP_MS = 1_500;

export interface NodeView {
  key: string; name: string; live: boolean; draining: boolean;
  /** How long the node has been a member, by the database clock. */
  ageMs: number;
}

export interface OwnerView { taskId: number; owner: string | null; fence: number }

export interface ClusterCoordinator {
  /** This process's node key (unique per process start) and the operator's name for it. */
  readonly nodeKey: string;
  readonly nodeName: string;
  /** False for the single-process LocalCoordinator: the lifecycle then behaves as it always has. */
  readonly clustered: boolean;
  start(): Promise<void>;
  /** Takes an unowned task (or one whose owner is dead) seen at `seenFence`; the new fence, or null when another node won. */
  claim(taskId: number, seenFence: number): Promise<number | null>;
  /** A restart inside the owner: a new fence while this node still owns the task at `fence`, else null. */
  refence(taskId: number, fence: number): Promise<number | null>;
  /** Gives the task up (graceful stop or hand-off); only while owning it at `fence`. */
  release(taskId: number, fence: number): Promise<void>;
  /** The forced path: takes the task from whoever owns it (no owner afterwards); the new fence. */
  seize(taskId: number): Promise<number>;
  holds(taskId: number, fence: number): boolean;
  nodes(): Promise<NodeView[]>;
  owners(): Promise<OwnerView[]>;
  /**
   * One task's owner (its node key, and its name: null when its node row is gone) and whether that
   * node's lease is live, or null when nobody owns it (one row, not the tables).
   */
  ownerOf(taskId: number): Promise<{ owner: string; name: string | null; live: boolean } | null>;
  /** Deletes the rows of dead nodes, so a frozen node that wakes finds its lease gone. */
  reapDead(): Promise<void>;
  /** Marks this node draining (SIGTERM): peers stop sending it tasks. */
  setDraining(): Promise<void>;
  /** Wakes every node (after a write of desired state). */
  wake(taskId: number): Promise<void>;
  onChange(listener: (taskId: number | null) => void): void;
  onLeaseLost(listener: () => void): void;
  /** Leaves the cluster (deletes this node's row) and closes connections. */
  close(): Promise<void>;
}
