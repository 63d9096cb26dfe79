/**
 * One task's pipeline: source -> batches of whole transactions -> sink -> acknowledge.
 * Changes are handed to the sink in chunks as they arrive (bounded memory even for huge
 * transactions) inside one open target transaction, which commits with the checkpoint at a
 * transaction boundary once the batch is big or old enough or the source went quiet; only then
 * is the source acknowledged (design.md section 4). `stop()` is the graceful stop of design.md
 * section 1, bounded in time.
 */
import type { Logger } from '../logger.ts';
import type { ChangeSink } from './change-sink.ts';
import type { RelationInfo, RowChange } from './change-event.ts';
import type { PgEndpoint } from './endpoint.ts';
import { UnrecoverableError } from './errors.ts';
import { PostgresSource, releasePostgresSource } from './sources/postgres/postgres-source.ts';
import { PostgresSink } from './sinks/postgres/postgres-sink.ts';

export { UnrecoverableError } from './errors.ts';
export type { PgEndpoint } from './endpoint.ts';

export interface PipelineSpec {
  taskId: number;
  fence: number;
  source: {
    kind: 'postgresql'; endpoint: PgEndpoint; slotName: string; publicationName: string;
    tables: { schema: string; table: string }[]; resourcesCreated: boolean;
  };
  target: { kind: 'postgresql'; endpoint: PgEndpoint };
  batch?: { maxRows?: number; maxDelayMs?: number };
}

export interface PipelineEvents {
  onResourcesCreated?(): void | Promise<void>;
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
const CHUNK_ROWS = 5_000;
const IDLE_MS = 50;

export class Pipeline {
  private readonly source: PostgresSource;
  private readonly sink: ChangeSink;
  private readonly m: PipelineMetrics = { rowsApplied: 0, transactionsApplied: 0, committedPosition: null, lastSourceCommitTime: null, lastAppliedAt: null, phase: 'incremental' };
  private stopping = false;
  private running: Promise<void> | undefined;
  private readonly maxRows: number;
  private readonly maxDelayMs: number;

  constructor(private readonly spec: PipelineSpec, private readonly events: PipelineEvents, private readonly logger: Logger) {
    this.source = new PostgresSource({ ...spec.source }, logger);
    this.sink = new PostgresSink(spec.target.endpoint, spec.taskId, logger);
    this.maxRows = spec.batch?.maxRows ?? DEFAULT_MAX_ROWS;
    this.maxDelayMs = spec.batch?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  }

  metrics(): PipelineMetrics { return { ...this.m }; }

  run(): Promise<void> {
    this.running ??= this.execute();
    return this.running;
  }

  /** Graceful stop within timeoutMs; past it the connections are torn down (the checkpoint keeps data safe). */
  async stop(timeoutMs = 10_000): Promise<{ forced: boolean }> {
    this.stopping = true;
    this.source.requestEnd();
    if (!this.running) return { forced: false };
    const settled = this.running.then(() => true, () => true);
    const inTime = await Promise.race([settled, new Promise<false>((r) => setTimeout(() => r(false), timeoutMs).unref())]);
    if (inTime) return { forced: false };
    this.logger.warn('graceful stop exceeded its bound; forcing', { timeoutMs });
    await Promise.all([this.source.destroy(), this.sink.destroy()]);
    await settled;
    return { forced: true };
  }

  private async execute(): Promise<void> {
    try {
      await this.stream();
    } catch (err) {
      await Promise.all([this.source.destroy(), this.sink.destroy()]);
      if (this.stopping && !(err instanceof UnrecoverableError)) return;
      throw err;
    }
  }

  private async stream(): Promise<void> {
    const position = await this.sink.claim(this.spec.fence);
    if (this.stopping) return this.closeAll();
    const { created } = await this.source.prepare(this.spec.source.resourcesCreated || position !== null);
    if (created) await this.events.onResourcesCreated?.();
    if (this.stopping) return this.closeAll();
    await this.source.open(position);
    this.m.committedPosition = position;
    this.logger.info('streaming', { slot: this.spec.source.slotName, from: position ?? 'slot position' });
    this.events.onStreaming?.();

    const prepared = new WeakSet<RelationInfo>(); // a new Relation message (schema change) is prepared again
    let chunk: RowChange[] = [];
    let inTxn = false;
    let batchRows = 0;
    let batchTxns = 0;
    let batchStarted = 0;
    let pending: { position: string; commitTime: Date } | undefined;

    const flushChunk = async () => {
      if (chunk.length === 0) return;
      for (const ch of chunk) await this.prepare(ch.relation, prepared);
      await this.sink.apply(chunk);
      chunk = [];
    };
    const commitBatch = async () => {
      if (!pending) return;
      await flushChunk();
      await this.sink.commit(pending.position);
      this.source.acknowledge(pending.position);
      this.m.rowsApplied += batchRows;
      this.m.transactionsApplied += batchTxns;
      this.m.committedPosition = pending.position;
      this.m.lastSourceCommitTime = pending.commitTime;
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
          if (batchTxns === 0 && batchRows === 0) batchStarted = Date.now();
          break;
        case 'change':
          chunk.push(ev.change);
          batchRows++;
          if (chunk.length >= CHUNK_ROWS) await flushChunk();
          break;
        case 'truncate':
          await flushChunk();
          for (const r of ev.relations) await this.prepare(r, prepared);
          await this.sink.truncate(ev.relations);
          break;
        case 'commit':
          inTxn = false;
          batchTxns++;
          pending = { position: ev.position, commitTime: ev.commitTime };
          if (batchRows >= this.maxRows || Date.now() - batchStarted >= this.maxDelayMs) await commitBatch();
          break;
        case 'idle':
          if (!inTxn) {
            await commitBatch();
            this.source.acknowledgeCaughtUp();
          }
          break;
        case 'end':
          // Stop: a half-read source transaction is rolled back (it is replayed on resume);
          // otherwise the last batch commits with its position.
          if (inTxn) {
            chunk = [];
            await this.sink.rollback();
          } else {
            await commitBatch();
          }
          return this.closeAll();
      }
    }
  }

  private async prepare(relation: RelationInfo, prepared: WeakSet<RelationInfo>): Promise<void> {
    if (prepared.has(relation)) return;
    await this.sink.prepareTable(relation, () => this.source.describeTable(relation));
    prepared.add(relation);
  }

  private async closeAll(): Promise<void> {
    await this.sink.close();
    await this.source.close(5_000);
  }
}

/** Terminate/Delete: drop the slot and publication on the source and the checkpoint on the target. */
export async function releaseTaskResources(spec: PipelineSpec, logger: Logger): Promise<void> {
  await releasePostgresSource(spec.source);
  const sink = new PostgresSink(spec.target.endpoint, spec.taskId, logger);
  try {
    await sink.discardCheckpoint();
  } finally {
    await sink.close();
  }
}
