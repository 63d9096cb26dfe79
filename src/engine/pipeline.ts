/**
 * One task's pipeline: source -> batches of whole transactions -> sink -> acknowledge.
 * Changes go to the sink in chunks as they arrive (bounded memory even for a huge transaction)
 * inside one open target transaction, which commits with the checkpoint at a transaction
 * boundary once the batch is big or old enough or the source went quiet; only then is the source
 * acknowledged (design.md section 4). `stop()` is the graceful stop of design.md section 1.
 * The loop only knows the two ports (change-source.ts, change-sink.ts); `openPorts` picks the adapters.
 */
import type { Logger } from '../logger.ts';
import type { ChangeSink } from './change-sink.ts';
import type { ChangeSource } from './change-source.ts';
import type { RelationInfo, RowChange } from './change-event.ts';
import type { PgEndpoint } from './endpoint.ts';
import { UnrecoverableError } from './errors.ts';
import { delay } from './postgres/connection.ts';
import { PostgresSource } from './sources/postgres/postgres-source.ts';
import { releasePostgresSource } from './sources/postgres/release-postgres-source.ts';
import { PostgresSink } from './sinks/postgres/postgres-sink.ts';

export { UnrecoverableError, FencedError } from './errors.ts';
export type { PgEndpoint } from './endpoint.ts';

export interface PipelineSpec {
  taskId: number;
  /** The owner's epoch: grows on every start of the task; older owners are fenced off. */
  fence: number;
  source: {
    kind: 'postgresql'; endpoint: PgEndpoint; slotName: string; publicationName: string;
    tables: { schema: string; table: string }[]; resourcesCreated: boolean;
  };
  target: { kind: 'postgresql'; endpoint: PgEndpoint };
  batch?: { maxRows?: number; maxDelayMs?: number };
}

export interface PipelineEvents {
  /** Slot + publication exist now and the caller did not know it: persist resourcesCreated=true. */
  onResourcesCreated?(): void | Promise<void>;
  /** Replication established -> task status RUN. */
  onStreaming?(): void;
}

export interface PipelineMetrics {
  rowsApplied: number;
  transactionsApplied: number;
  committedPosition: string | null;
  lastSourceCommitTime: Date | null;
  lastAppliedAt: Date | null;
  phase: 'incremental';
}

const DEFAULT_MAX_ROWS = 20_000;
const DEFAULT_MAX_DELAY_MS = 200;
/** Rows handed to the sink at once: bounds memory and statement size. */
const CHUNK_ROWS = 10_000;
const IDLE_MS = 50;
/** How often an idle task moves its checkpoint (and the slot) past WAL that carried nothing for it. */
const HEARTBEAT_MS = 5_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

function openPorts(spec: PipelineSpec, logger: Logger): { source: ChangeSource; sink: ChangeSink } {
  const app = `opendi:task-${spec.taskId}`;
  return {
    source: new PostgresSource(spec.source, `${app}:source`, logger),
    sink: new PostgresSink(spec.target.endpoint, spec.taskId, `${app}:target`, logger),
  };
}

export class Pipeline {
  private readonly source: ChangeSource;
  private readonly sink: ChangeSink;
  private readonly m: PipelineMetrics = { rowsApplied: 0, transactionsApplied: 0, committedPosition: null, lastSourceCommitTime: null, lastAppliedAt: null, phase: 'incremental' };
  private readonly maxRows: number;
  private readonly maxDelayMs: number;
  private running: Promise<void> | undefined;
  private stopping = false;
  private stopDeadline = 0;
  private closeForced = false;

  constructor(private readonly spec: PipelineSpec, private readonly events: PipelineEvents, private readonly logger: Logger) {
    ({ source: this.source, sink: this.sink } = openPorts(spec, logger));
    this.maxRows = Math.max(1, spec.batch?.maxRows ?? DEFAULT_MAX_ROWS);
    this.maxDelayMs = Math.max(0, spec.batch?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
  }

  metrics(): PipelineMetrics { return { ...this.m }; }

  /** Resolves after stop(); rejects on failure (UnrecoverableError: do not retry). */
  run(): Promise<void> {
    if (!this.running) this.running = this.stopping ? Promise.resolve() : this.execute();
    return this.running;
  }

  /**
   * Graceful stop within `timeoutMs`: stop reading, commit the last whole transactions with their
   * position (or roll back a half-applied one), acknowledge, close the replication connection and
   * wait until the slot is inactive. Past the bound, connections are torn down and the walsender
   * terminated: `{forced: true}`; the checkpoint guarantees nothing is lost.
   */
  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<{ forced: boolean }> {
    if (!this.stopping) {
      this.stopping = true;
      this.stopDeadline = Date.now() + timeoutMs;
    }
    this.source.requestEnd();
    if (!this.running) return { forced: false };
    const settled = this.running.then(() => true, () => true);
    const remaining = Math.max(0, this.stopDeadline - Date.now());
    const inTime = await Promise.race([settled, delay(remaining).then(() => false)]);
    if (inTime) return { forced: this.closeForced };
    this.logger.warn('graceful stop exceeded its bound; forcing', { timeoutMs });
    await Promise.allSettled([this.source.destroy(), this.sink.destroy()]);
    await Promise.race([settled, delay(2_000)]);
    return { forced: true };
  }

  private async execute(): Promise<void> {
    try {
      await this.stream();
    } catch (err) {
      await Promise.allSettled([this.source.destroy(), this.sink.destroy()]);
      // A forced stop tears the connections down under the loop: that is no failure.
      if (this.stopping && !(err instanceof UnrecoverableError)) return;
      this.logger.warn('pipeline failed', { error: err, unrecoverable: err instanceof UnrecoverableError });
      throw err;
    }
  }

  private async stream(): Promise<void> {
    const position = await this.sink.claim(this.spec.fence);
    if (this.stopping) return this.closeAll();
    const { created } = await this.source.prepare({ position, mustExist: this.spec.source.resourcesCreated || position !== null });
    if (created || !this.spec.source.resourcesCreated) await this.events.onResourcesCreated?.();
    if (this.stopping) return this.closeAll();
    await this.source.open(position);
    this.m.committedPosition = position;
    this.logger.info('streaming', { slot: this.spec.source.slotName, from: position ?? 'slot position', fence: this.spec.fence });
    this.events.onStreaming?.();

    const prepared = new WeakSet<RelationInfo>(); // a new Relation message (schema change) is prepared again
    let chunk: RowChange[] = [];
    let inTxn = false;
    let txnStartInChunk = 0; // where the open source transaction's rows start in `chunk`
    let txnRows = 0;
    let txnInSink = false; // the open source transaction has reached the target transaction
    let batchRows = 0;
    let batchTxns = 0;
    let batchStarted = 0;
    let lastCommitAt = Date.now();
    let pending: { position: string; commitTime: Date } | undefined;

    const flushChunk = async () => {
      if (chunk.length === 0) return;
      for (const ch of chunk) {
        if (!prepared.has(ch.relation)) await this.prepareTable(ch.relation, prepared);
      }
      await this.sink.apply(chunk);
      chunk = [];
      txnStartInChunk = 0;
      if (inTxn) txnInSink = true;
    };
    const commit = async (position: string, commitTime: Date | null) => {
      await this.sink.commit(position);
      this.source.acknowledge(position);
      this.m.committedPosition = position;
      if (commitTime) this.m.lastSourceCommitTime = commitTime;
      lastCommitAt = Date.now();
    };
    const commitBatch = async () => {
      if (!pending) return;
      await flushChunk();
      await commit(pending.position, pending.commitTime);
      this.m.rowsApplied += batchRows;
      this.m.transactionsApplied += batchTxns;
      this.m.lastAppliedAt = new Date();
      pending = undefined;
      batchRows = 0;
      batchTxns = 0;
    };

    for (;;) {
      const ev = await this.source.next(IDLE_MS);
      switch (ev.kind) {
        case 'begin':
          inTxn = true;
          txnInSink = false;
          txnStartInChunk = chunk.length;
          txnRows = 0;
          if (batchTxns === 0) batchStarted = Date.now();
          break;
        case 'change':
          chunk.push(ev.change);
          txnRows++;
          if (chunk.length >= CHUNK_ROWS) await flushChunk();
          break;
        case 'truncate':
          await flushChunk();
          for (const r of ev.relations) if (!prepared.has(r)) await this.prepareTable(r, prepared);
          await this.sink.truncate(ev.relations);
          txnInSink = true;
          break;
        case 'commit':
          inTxn = false;
          batchTxns++;
          batchRows += txnRows;
          pending = { position: ev.position, commitTime: ev.commitTime };
          if (batchRows >= this.maxRows || Date.now() - batchStarted >= this.maxDelayMs) await commitBatch();
          break;
        case 'idle':
          if (inTxn) break;
          await commitBatch();
          if (Date.now() - lastCommitAt >= HEARTBEAT_MS) {
            const caughtUp = this.source.caughtUpPosition();
            if (caughtUp) await commit(caughtUp, null);
          }
          break;
        case 'end':
          // Graceful stop (design.md section 1): a source transaction half applied in the open
          // target transaction is rolled back with it (replayed on resume); one only read so far is
          // dropped; the whole transactions before it commit with their position.
          if (inTxn && txnInSink) {
            await this.sink.rollback();
            pending = undefined;
          } else if (inTxn) {
            chunk.length = txnStartInChunk;
          }
          await commitBatch();
          return this.closeAll();
      }
    }
  }

  private async prepareTable(relation: RelationInfo, prepared: WeakSet<RelationInfo>): Promise<void> {
    await this.sink.prepareTable(relation, () => this.source.describeTable(relation));
    prepared.add(relation);
  }

  private async closeAll(): Promise<void> {
    await this.sink.close();
    // Leave a little of the bound for stop() itself; the source forces its side down past it.
    const deadline = (this.stopDeadline || Date.now() + DEFAULT_STOP_TIMEOUT_MS) - 250;
    this.closeForced = (await this.source.close(deadline)).forced;
  }
}

/**
 * TerminateDISyncInstance / DeleteDISyncTask: drop the slot (terminating a walsender still on it)
 * and the publication on the source, delete the task's checkpoint on the target. Idempotent;
 * for a task whose pipeline is not running.
 */
export async function releaseTaskResources(spec: PipelineSpec, logger?: Logger): Promise<void> {
  const app = `opendi:task-${spec.taskId}`;
  await releasePostgresSource(spec.source, `${app}:release`);
  const sink = new PostgresSink(spec.target.endpoint, spec.taskId, `${app}:release`, logger ?? noopLogger);
  try {
    await sink.discardCheckpoint();
  } finally {
    await sink.close();
  }
}

const noopLogger: Logger = { info() {}, warn() {}, error() {}, child: () => noopLogger };
