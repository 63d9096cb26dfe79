/**
 * One task's pipeline: [initial load ->] source -> batches of whole transactions -> sink ->
 * acknowledge. Changes go to the sink in chunks as they arrive (bounded memory even for a huge
 * transaction) inside one open target transaction, which commits with the checkpoint at a
 * transaction boundary once the batch is big or old enough or the source went quiet; only then
 * is the source acknowledged (docs/design.md section 4). `stop()` is the graceful stop of docs/design.md
 * section 1. Task rules of StartParam enforced here: errorLimit (dirty records) and ddlMarkMap
 * (schema-rules.ts). The loop only knows the two ports; `openPorts` (ports.ts) picks the adapters.
 */
import type { Logger } from '../logger.ts';
import type { ChangeSink, DirtyRecord, DirtyRecordsKept } from './change-sink.ts';
import type { ChangeSource, TableRef } from './change-source.ts';
import type { ColumnValue, RelationInfo, RowChange, SchemaChange } from './change-event.ts';
import type { DdlType } from './ddl-types.ts';
import { UnrecoverableError } from './errors.ts';
import { SchemaRules, project, type Alert, type DdlMark } from './schema-rules.ts';
import { delay } from './postgres/connection.ts';
import { decodeCheckpoint, encodeLoad, type LoadProgress } from './checkpoint.ts';
import { openPorts, releaseSource, type SourceSpec, type TargetSpec } from './ports.ts';
import { dialectFor } from './sinks/dialect-for.ts';
import { raiseFence } from './sinks/raise-fence.ts';
import type { EngineEvent } from './engine-event.ts';
import { isSourceCaughtUp } from './caught-up.ts';
import { TableProgressTracker, rowTextBytes, type TableProgress } from './table-progress.ts';
import { TransformingSink, type TransformPlan } from './transform/transforming-sink.ts';
import { readsOldRow } from './transform/table-rules.ts';

export { UnrecoverableError, FencedError } from './errors.ts';
export type { DbEndpoint, PgEndpoint } from './endpoint.ts';
export type { SourceSpec, TargetSpec } from './ports.ts';

export type { Alert, DdlMark } from './schema-rules.ts';
export type { EngineEvent } from './engine-event.ts';
export type { TableProgress } from './table-progress.ts';

export interface PipelineSpec {
  taskId: number;
  /** The owner's epoch: grows on every start of the task; older owners are fenced off. */
  fence: number;
  source: SourceSpec;
  target: TargetSpec;
  /** Copy the existing rows before streaming when the task has no checkpoint yet. */
  initialLoad: boolean;
  /** Dirty records tolerated; one more fails the task. */
  errorLimit: number;
  ddlMarks: Record<DdlType, DdlMark>;
  /** Start here instead of the checkpoint (StartParam.startPosition), first run of a Start only. */
  startFrom?: { position: string } | { timestamp: Date };
  batch?: { maxRows?: number; maxDelayMs?: number };
  /** The source's stall bound in ms (no message from the server for this long); the source's default when absent. */
  sourceStallAfterMs?: number;
  /** How often an idle task commits the source's caught-up position (default IDLE_CHECKPOINT_MS). */
  idleCheckpointMs?: number;
  /** 2024 DI jobs: the transformation stage between the pipeline and the sink (transform/transforming-sink.ts). */
  transform?: TransformPlan;
  /** Tables to copy before streaming on from an existing checkpoint (selected since the task last ran). */
  loadTables?: TableRef[];
  /** ForceToRerun: drop the target tables and recreate them when the task starts with no checkpoint. */
  recreateTargets?: boolean;
  /** Per-table progress recorded by earlier runs of the task (keyed schema.table). */
  tableProgress?: Record<string, TableProgress>;
  /**
   * Full-load totals earlier instances recorded (the catalog's kept progress): a resumed task
   * reports the whole copy, not only what this instance copied, so Stop/Start does not show 0.
   */
  loadedBefore?: { rows: number; tables: number };
}


export interface PipelineEvents {
  /** Source-side resources exist now and the caller did not know it: persist resourcesCreated=true. */
  onResourcesCreated?(): void | Promise<void>;
  /** Replication (or the initial load) established -> task status RUN. */
  onStreaming?(): void;
  /** A WARNING-marked schema change was skipped. */
  onAlert?(alert: Alert): void;
  /** Phase or dirty-record count changed (for the catalog to remember while the task is stopped). */
  onProgress?(metrics: PipelineMetrics): void;
  /** Something for the task's event log (engine-event.ts). */
  onEvent?(event: EngineEvent): void;
}

export interface PipelineMetrics {
  phase: 'full load' | 'incremental';
  /** Rows read from the source: copied by the initial load plus changes streamed (ListDIJobMetrics totalRecordsRead). */
  rowsRead: number;
  rowsLoaded: number;
  tablesLoaded: number;
  /** Tables the task copies and streams (full-load progress is tablesLoaded of tablesTotal). */
  tablesTotal: number;
  rowsApplied: number;
  /**
   * Milliseconds spent in the sink (building and running the target statements, committing): set
   * against the wall time, a task limited by its target (near all of it) from one limited by its
   * source or idle (near none). Prometheus opendi_task_sink_seconds_total.
   */
  sinkMs: number;
  transactionsApplied: number;
  dirtyRecords: number;
  committedPosition: string | null;
  lastSourceCommitTime: Date | null;
  lastAppliedAt: Date | null;
  /** Everything the source's server has is applied (caught-up.ts: the last read found nothing and the source's clock agrees). */
  caughtUp: boolean;
  /** When the pipeline was last caught up (the delay grows from here while the source is silent or behind). */
  lastCaughtUpAt: Date | null;
  /** Per source table (schema.table): structure, full load and streaming status, full-load counts. */
  tables: Record<string, TableProgress>;
}

const DEFAULT_MAX_ROWS = 20_000;
const DEFAULT_MAX_DELAY_MS = 200;
/** Rows handed to the sink at once: bounds memory and statement size. */
const CHUNK_ROWS = 10_000;
/** Events read between two turns of the event loop while a chunk is being applied (stream). */
const YIELD_EVERY = 256;
/** Rows per initial-load chunk: one target transaction each, the unit of resumption. */
const LOAD_CHUNK_ROWS = 10_000;
/**
 * How long the loop waits for an event before it looks around while nothing arrives (the caught-up
 * state, discovery, the idle commit, the source's clock). An event, a stop or a failure wakes it at
 * once. It also sets how soon a silent source still decoding shows as not caught up (the clock's
 * WAL sample is taken and read at these looks): 250 ms cut an idle task's CPU by a quarter, but
 * made a task report caught up for up to half a second longer while the server was still decoding
 * a large transaction (docs/performance.md, "Measured and dropped").
 */
const IDLE_MS = 50;
/** How often a source that can (PostgreSQL) is asked for new tables the task selects. */
const DISCOVERY_MS = 1_000;
/**
 * How often an idle task moves its checkpoint (and the slot) past log that carried nothing for it
 * (docs/cdc-failure-modes.md, mode 1). Each such commit takes a target connection, which the shared
 * pool keeps until its idle close (10 s, connection-pool.ts): at 5 s an idle task held one for good (100
 * idle tasks on their own target databases: 100 connections). A minute still lets the source
 * release its log long before a PostgreSQL checkpoint (5 min by default) could recycle it.
 */
const IDLE_CHECKPOINT_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export class Pipeline {
  private readonly source: ChangeSource;
  private readonly sink: ChangeSink;
  private readonly m: PipelineMetrics = {
    phase: 'incremental', rowsRead: 0, rowsLoaded: 0, tablesLoaded: 0, tablesTotal: 0, rowsApplied: 0, sinkMs: 0, transactionsApplied: 0, dirtyRecords: 0,
    committedPosition: null, lastSourceCommitTime: null, lastAppliedAt: null, caughtUp: false, lastCaughtUpAt: null, tables: {},
  };
  /** The task's tables; tables picked up while streaming join it. */
  private readonly tables: TableRef[];
  private readonly progress: TableProgressTracker;
  private nextDiscovery = 0;
  private readonly maxRows: number;
  private readonly maxDelayMs: number;
  private readonly idleCheckpointMs: number;
  private readonly schema: SchemaRules;
  private running: Promise<void> | undefined;
  private stopping = false;
  private stopDeadline = 0;
  private closeForced = false;
  /** Batch state of the streaming loop (see stream()). */
  private chunk: RowChange[] = [];
  private inTxn = false;
  private txnStartInChunk = 0;
  private txnInSink = false;
  /** A chunk handed to the sink and not awaited yet (flushChunk `ahead`). */
  private applying: Promise<void> | undefined;
  /** Sink calls under way, and since when one has been (inSink). */
  private sinkCalls = 0;
  private sinkBusySince = 0;

  constructor(private readonly spec: PipelineSpec, private readonly events: PipelineEvents, private readonly logger: Logger) {
    const ports = openPorts(spec.taskId, spec.source, spec.target, logger, {
      onEvent: (event) => this.events.onEvent?.(event), stallAfterMs: spec.sourceStallAfterMs,
      renamedTableTarget: spec.ddlMarks.RENAMETABLE === 'NORMAL' ? 'new-name' : 'original-name',
      wholeOldRow: spec.transform ? (t) => readsOldRow(spec.transform!.rulesFor(t)) : undefined,
    });
    this.source = ports.source;
    this.tables = [...spec.source.tables];
    this.progress = new TableProgressTracker(spec.tableProgress, this.tables.map(nameOf));
    this.sink = spec.transform
      ? new TransformingSink(ports.sink, { ...spec.transform, onPrepared: (t, error) => this.progress.structure(nameOf(t), error) }, () => this.m.phase === 'full load')
      : ports.sink;
    this.schema = new SchemaRules(spec.ddlMarks, this.source, this.sink, logger, (alert) => this.events.onAlert?.(alert), (event) => this.events.onEvent?.(event));
    this.maxRows = Math.max(1, spec.batch?.maxRows ?? DEFAULT_MAX_ROWS);
    this.maxDelayMs = Math.max(0, spec.batch?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
    this.idleCheckpointMs = Math.max(0, spec.idleCheckpointMs ?? IDLE_CHECKPOINT_MS);
  }

  metrics(): PipelineMetrics { return { ...this.m, tablesTotal: this.tables.length, tables: this.progress.snapshot() }; }

  /** Resolves after stop(); rejects on failure (UnrecoverableError: do not retry). */
  run(): Promise<void> {
    if (!this.running) this.running = this.stopping ? Promise.resolve() : this.execute();
    return this.running;
  }

  /**
   * Graceful stop within `timeoutMs`: stop reading, commit the last whole transactions with their
   * position (or roll back a half-applied one), acknowledge, close the replication connection and
   * wait until the server has let go of it. Past the bound, connections are torn down:
   * `{forced: true}`; the checkpoint guarantees nothing is lost.
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
      await this.startAndStream();
    } catch (err) {
      await Promise.allSettled([this.source.destroy(), this.sink.destroy()]);
      // A forced stop tears the connections down under the loop: that is no failure.
      if (this.stopping && !(err instanceof UnrecoverableError)) return;
      this.logger.warn('pipeline failed', { error: err, unrecoverable: err instanceof UnrecoverableError });
      throw err;
    }
  }

  private async startAndStream(): Promise<void> {
    const claim = await this.sink.claim(this.spec.fence);
    this.m.dirtyRecords = claim.dirtyRecords;
    // Only a resumed checkpoint continues earlier counts; a first start (or a rerun) copies anew.
    if (claim.position !== null && this.spec.loadedBefore) {
      this.m.rowsLoaded = this.spec.loadedBefore.rows;
      this.m.tablesLoaded = this.spec.loadedBefore.tables;
    }
    if (this.stopping) return this.closeAll();
    let checkpoint = decodeCheckpoint(claim.position);
    // A chosen position replaces the checkpoint, also for the source's check that it still exists.
    if (this.spec.startFrom && 'position' in this.spec.startFrom) checkpoint = { stream: this.spec.startFrom.position };
    const mustExist = this.spec.source.resourcesCreated || claim.position !== null;
    const { created } = await this.source.prepare({ position: checkpoint.stream, mustExist });
    if (created || !this.spec.source.resourcesCreated) await this.events.onResourcesCreated?.();
    if (this.stopping) return this.closeAll();

    if (this.spec.recreateTargets && claim.position === null) await this.dropTargets();
    if (this.spec.startFrom) {
      const position = await this.chosenStart(this.spec.startFrom);
      // Every lane starts over from the chosen position (none skips what it applied before).
      this.sink.lanesControl?.restartAt(position);
      await this.commitSink(position);
      checkpoint = { stream: position };
      this.logger.info('starting from the chosen position instead of the checkpoint', { position });
    } else if (claim.position === null) {
      // First start: pin "now" in the checkpoint at once, so a restart before the first commit
      // (source or target down) resumes from here instead of from a later "now".
      const head = await this.source.headPosition();
      if (this.spec.initialLoad) {
        checkpoint = { stream: head, load: { stream: head, done: [], table: null, after: null } };
        await this.commitSink(encodeLoad(checkpoint.load!));
      } else {
        checkpoint = { stream: head };
        if (head !== null) await this.commitSink(head);
      }
    }
    const newTables = (this.spec.loadTables ?? []).map(nameOf);
    if (!checkpoint.load && !this.spec.startFrom && claim.position !== null && newTables.length > 0) {
      checkpoint = { stream: checkpoint.stream, load: { stream: checkpoint.stream, done: this.tables.map(nameOf).filter((n) => !newTables.includes(n)), table: null, after: null } };
    }
    if (checkpoint.load) {
      this.events.onStreaming?.();
      const finished = await this.initialLoad(checkpoint.load);
      if (!finished) return this.closeAll();
    }
    await this.source.open(checkpoint.stream);
    this.m.committedPosition = checkpoint.stream;
    this.m.phase = 'incremental';
    this.progress.streaming(this.tables.map(nameOf));
    this.events.onProgress?.(this.metrics());
    this.logger.info('streaming', { from: checkpoint.stream ?? 'source bookmark', fence: this.spec.fence });
    this.events.onStreaming?.();
    await this.stream();
  }

  private async chosenStart(from: { position: string } | { timestamp: Date }): Promise<string> {
    if ('position' in from) return from.position;
    if (!this.source.positionAt) {
      throw new UnrecoverableError(`this source cannot start from a point in time; use StartParam.startPosition.position instead`);
    }
    return this.source.positionAt(from.timestamp);
  }

  /**
   * Copies every table's current rows, chunk by chunk in primary-key order, each chunk committed
   * with the progress as the checkpoint; streaming then starts at `progress.stream`, taken before
   * the copy, and replays what changed meanwhile (idempotent per key, so nothing is doubled).
   * False when stopped before the end (the progress is committed; the next start goes on).
   */
  private async initialLoad(progress: LoadProgress): Promise<boolean> {
    this.m.phase = 'full load';
    this.m.tablesLoaded = progress.done.length;
    this.events.onProgress?.(this.metrics());
    this.logger.info('initial load', { tablesDone: progress.done.length, of: this.tables.length });
    for (const t of [...this.tables]) {
      const name = `${t.schema}.${t.table}`;
      if (progress.done.includes(name)) continue;
      let after: ColumnValue[] | null = progress.table === name ? progress.after : null;
      this.progress.loadStarted(name, after !== null);
      try {
        for (;;) {
          if (this.stopping) return false;
          const { relation, rows } = await this.source.readChunk(t as TableRef, after, LOAD_CHUNK_ROWS);
          this.m.rowsRead += rows.length;
          const finished = rows.length < LOAD_CHUNK_ROWS;
          const dirtyBefore = this.m.dirtyRecords;
          if (rows.length > 0) {
            const projection = await this.prepareRelation(relation);
            const changes: RowChange[] = rows.map((values) => ({ op: 'insert', relation, values }));
            await this.applyChanges(projection ? changes.map((ch) => project(ch, projection)) : changes);
            const keys = relation.columns.flatMap((col, i) => (col.isKey ? [i] : []));
            after = keys.map((i) => rows[rows.length - 1][i]);
          }
          const chunks = (progress.chunks ?? 0) + 1;
          progress = finished
            ? { ...progress, done: [...progress.done, name], table: null, after: null, chunks }
            : { ...progress, table: name, after, chunks };
          await this.commitSink(encodeLoad(progress));
          this.m.rowsLoaded += rows.length;
          let bytes = 0;
          for (const row of rows) bytes += rowTextBytes(row);
          this.progress.loaded(name, rows.length, bytes, this.m.dirtyRecords - dirtyBefore);
          if (finished) break;
        }
      } catch (err) {
        this.progress.loadFailed(name, err instanceof Error ? err.message : String(err));
        throw err;
      }
      this.progress.loadFinished(name);
      this.m.tablesLoaded++;
      this.events.onProgress?.(this.metrics());
    }
    this.logger.info('initial load finished', { rows: this.m.rowsLoaded, tables: this.m.tablesLoaded });
    return true;
  }

  private async stream(): Promise<void> {
    let txnRows = 0;
    let batchRows = 0;
    let batchTxns = 0;
    let batchStarted = 0;
    let lastCommitAt = Date.now();
    let pending: { position: string; commitTime: Date } | undefined;

    const committed = (position: string, commitTime: Date | null) => {
      this.source.acknowledge(position);
      this.m.committedPosition = position;
      if (commitTime) this.m.lastSourceCommitTime = commitTime;
      lastCommitAt = Date.now();
    };
    const commit = async (position: string, commitTime: Date | null) => {
      await this.commitSink(position);
      committed(position, commitTime);
    };
    /**
     * Commits the batch read so far. `ahead` (streaming a backlog): the commit is handed to the sink
     * behind the batch's last chunk and the loop goes on reading, so the next chunk is built while the
     * target still applies and commits this batch (change-sink.ts `settled`); the source is
     * acknowledged once the commit is done. Otherwise returns once the batch is committed.
     */
    const commitBatch = async (ahead = false) => {
      if (!pending) return this.settle();
      const batch = { ...pending, rows: batchRows, txns: batchTxns };
      pending = undefined;
      batchRows = 0;
      batchTxns = 0;
      const counted = () => {
        committed(batch.position, batch.commitTime);
        this.m.rowsApplied += batch.rows;
        this.m.transactionsApplied += batch.txns;
        this.m.lastAppliedAt = new Date();
      };
      if (!ahead) {
        await this.flushChunk();
        await this.commitSink(batch.position);
        return counted();
      }
      await this.flushChunk(true);
      // Every apply of the batch has settled but `applying`, if any (flushChunk keeps one in flight).
      const settled = this.applying;
      const committing = this.inSink(() => this.sink.commit(batch.position, settled)).then(counted);
      this.applying = committing;
      // Heard at the next settle, as an apply's failure is.
      committing.catch(() => undefined);
    };
    /**
     * Before DDL on a target where DDL commits implicitly (MySQL): commits every whole transaction
     * read so far, keeping the open source transaction's rows back, so that the DDL never commits
     * half a transaction. (Where DDL is transactional it simply joins the open transaction.)
     */
    const commitCompleted = async () => {
      if (this.inTxn && this.txnInSink) {
        throw new UnrecoverableError('a source schema change arrived in the middle of a transaction larger than one chunk; '
          + 'the target cannot apply DDL inside a transaction. Call TerminateDISyncInstance and Start the task again to resynchronize.');
      }
      if (!this.inTxn) return commitBatch();
      const current = this.chunk.slice(this.txnStartInChunk);
      this.chunk.length = this.txnStartInChunk;
      await commitBatch();
      this.chunk = current;
      this.txnStartInChunk = 0;
    };

    let sinceYield = 0;
    for (;;) {
      // While the sink applies a chunk, the target's replies need this thread: reading a queued backlog
      // resolves only promises and would keep them waiting until the next chunk is full.
      if (this.applying && ++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const ev = await this.source.next(IDLE_MS);
      switch (ev.kind) {
        case 'begin':
          this.m.caughtUp = false;
          this.inTxn = true;
          this.txnInSink = false;
          this.txnStartInChunk = this.chunk.length;
          txnRows = 0;
          if (batchTxns === 0) batchStarted = Date.now();
          break;
        case 'change': {
          this.m.rowsRead++;
          let projection = this.schema.preparedProjection(ev.change.relation);
          if (projection === undefined) {
            await this.settle();
            projection = await this.prepareRelation(ev.change.relation, commitCompleted);
          }
          this.chunk.push(projection ? project(ev.change, projection) : ev.change);
          txnRows++;
          // Not while lanes catch up: a lane ahead sets its savepoint before the replayed transaction's first rows.
          if (this.chunk.length >= CHUNK_ROWS) await this.flushChunk(!this.sink.lanesControl?.catchingUp());
          break;
        }
        case 'truncate': {
          // With lanes, a transaction with a TRUNCATE runs whole on one lane after a barrier (change-sink.ts LaneControl).
          const lanes = this.sink.lanesControl;
          if (lanes && !lanes.serial) {
            await commitCompleted();
            lanes.serialize();
          }
          await this.flushChunk();
          // SchemaRules reports it as a ddl event (mark, target statements).
          if (await this.schema.truncate(ev.relations, commitCompleted)) this.txnInSink = true;
          break;
        }
        case 'ddl':
          if (!this.sink.transactionalDdl) await commitCompleted();
          await this.settle();
          await this.schema.apply(ev.change);
          if (ev.change.type === 'CREATETABLE') this.joined({ schema: ev.change.schema, table: ev.change.table });
          // Outside a transaction the statement has its own position: commit up to it now.
          if (!this.inTxn) {
            pending = { position: ev.position, commitTime: ev.commitTime };
            await commitBatch();
          }
          break;
        case 'commit': {
          this.inTxn = false;
          batchTxns++;
          batchRows += txnRows;
          pending = { position: ev.position, commitTime: ev.commitTime };
          const lanes = this.sink.lanesControl;
          // After a restart, lanes ahead of the replay decide per whole source transaction whether they already applied it.
          if (lanes?.catchingUp()) {
            await this.flushChunk();
            await lanes.transactionEnd(ev.position);
          }
          if (lanes?.serial) await commitBatch();
          else if (batchRows >= this.maxRows || Date.now() - batchStarted >= this.maxDelayMs) await commitBatch(!lanes?.catchingUp());
          if (this.discoveryDue()) { await commitBatch(); await this.pickUpNewTables(); }
          break;
        }
        case 'idle':
          if (this.inTxn) break;
          await commitBatch();
          if (this.discoveryDue()) await this.pickUpNewTables();
          this.m.caughtUp = isSourceCaughtUp(this.source.clock?.());
          if (this.m.caughtUp) this.m.lastCaughtUpAt = new Date();
          if (Date.now() - lastCommitAt >= this.idleCheckpointMs) {
            const caughtUp = this.source.caughtUpPosition();
            if (caughtUp) await commit(caughtUp, null);
          }
          break;
        case 'end':
          // Graceful stop (docs/design.md section 1): a source transaction half applied in the open
          // target transaction is rolled back with it (replayed on resume); one only read so far is
          // dropped; the whole transactions before it commit with their position.
          if (this.inTxn && this.txnInSink) {
            await this.settle();
            await this.sink.rollback();
            pending = undefined;
          } else if (this.inTxn) {
            this.chunk.length = this.txnStartInChunk;
          }
          await commitBatch();
          return this.closeAll();
      }
    }
  }

  /** Prepares a relation's target table the first time it is seen, recording the outcome per table. */
  private async prepareRelation(relation: RelationInfo, commitCompleted?: () => Promise<void>) {
    const known = this.schema.preparedProjection(relation);
    if (known !== undefined) return known;
    const name = nameOf(relation);
    try {
      const projection = await this.schema.prepare(relation, commitCompleted);
      if (!this.spec.transform) this.progress.structure(name, null);
      this.events.onProgress?.(this.metrics());
      return projection;
    } catch (err) {
      if (!this.spec.transform) this.progress.structure(name, err instanceof Error ? err.message : String(err));
      this.events.onProgress?.(this.metrics());
      throw err;
    }
  }

  /** A table created at the source while streaming that the task selects (MySQL: its CREATE TABLE came through the binlog). */
  private joined(t: TableRef): void {
    if (this.tables.some((x) => x.schema === t.schema && x.table === t.table)) return;
    if (this.spec.source.kind === 'mysql' && !this.spec.source.selects?.(t)) return;
    this.tables.push(t);
    // Its CREATE TABLE (CREATETABLE: NORMAL, or the source would not have taken it on) created the target table.
    this.progress.structure(nameOf(t), null);
    this.progress.streaming([nameOf(t)]);
    this.logger.info('picked up a new source table', { table: nameOf(t) });
    this.events.onProgress?.(this.metrics());
  }

  private discoveryDue(): boolean {
    return !this.inTxn && this.source.discoverTables !== undefined && !!this.spec.source.selects && Date.now() >= this.nextDiscovery;
  }

  /**
   * New tables the task selects (PostgreSQL: found in the catalog and added to the publication by
   * the source): their rows so far are copied like an initial load, resumable from the checkpoint;
   * streaming then goes on from the position committed before the copy, so changes made meanwhile
   * are replayed over the copy (idempotent per key). Called with everything before committed.
   */
  private async pickUpNewTables(): Promise<void> {
    this.nextDiscovery = Date.now() + DISCOVERY_MS;
    const position = this.m.committedPosition;
    if (position === null) return;
    const added = await this.source.discoverTables!();
    if (added.length === 0) return;
    const done = this.tables.map(nameOf);
    for (const t of added) {
      this.tables.push(t);
      this.progress.add(nameOf(t));
      this.logger.info('picked up a new source table', { table: nameOf(t) });
    }
    const finished = await this.initialLoad({ stream: position, done, table: null, after: null });
    this.m.phase = 'incremental';
    if (finished) this.progress.streaming(added.map(nameOf));
    this.events.onProgress?.(this.metrics());
  }

  /** ForceToRerun: the job's target tables go, to be created again from the source (structure redone). */
  private async dropTargets(): Promise<void> {
    for (const t of this.tables) {
      await this.sink.applySchemaChange({ type: 'DROPTABLE', schema: t.schema, table: t.table }, () => this.source.describeTable({ id: 0, ...t, columns: [] }));
    }
    this.logger.info('dropped the target tables to rerun the task from scratch', { tables: this.tables.length });
  }

  /**
   * Hands the chunk to the sink. `ahead` (streaming: a full chunk, or a batch's last one before its
   * commit): returns once what was handed over before it has been applied (and committed), so the
   * loop reads and the sink stages the next chunk while the target still applies this one
   * (ChangeSink: apply may be called again before the previous one resolved). Otherwise returns
   * once everything handed over is applied.
   */
  private async flushChunk(ahead = false): Promise<void> {
    if (this.chunk.length > 0) {
      const applying = this.applyChanges(this.chunk);
      this.chunk = [];
      this.txnStartInChunk = 0;
      if (this.inTxn) this.txnInSink = true;
      const previous = this.applying;
      this.applying = applying;
      // Heard at the next settle (or with the previous chunk's failure, which ends the task).
      applying.catch(() => undefined);
      if (previous) await previous;
    }
    if (!ahead) await this.settle();
  }

  /** Waits for the chunk the sink may still be applying: every other sink call comes after it. */
  private async settle(): Promise<void> {
    const applying = this.applying;
    this.applying = undefined;
    if (applying) await applying;
  }

  private async commitSink(position: string): Promise<void> {
    await this.settle();
    await this.inSink(() => this.sink.commit(position));
  }

  /**
   * Two clock reads per chunk or commit (not per row): the cost stays off the hot path. A chunk
   * handed over while the one before it still runs overlaps it, so sinkMs counts the time any sink
   * call was under way, once (its rate stays at most 1).
   */
  private async inSink<T>(work: () => Promise<T>): Promise<T> {
    if (this.sinkCalls++ === 0) this.sinkBusySince = performance.now();
    try {
      return await work();
    } finally {
      if (--this.sinkCalls === 0) this.m.sinkMs += performance.now() - this.sinkBusySince;
    }
  }

  /** Applies rows; rows the target rejects count against errorLimit (the batch fails past it). */
  private async applyChanges(changes: RowChange[]): Promise<void> {
    const dirty = await this.inSink(() => this.sink.apply(changes));
    if (dirty.length === 0) return;
    this.m.dirtyRecords += dirty.length;
    // Table, op and error only: the row's key and values stay in the target's dirty-record table.
    for (const d of dirty) this.logger.warn('dirty record skipped', { table: d.table, op: d.op, error: d.error });
    this.events.onProgress?.(this.metrics());
    if (this.m.dirtyRecords > this.spec.errorLimit) throw dirtyLimitExceeded(this.spec.errorLimit, dirty[dirty.length - 1], this.sink.dirtyRecords());
  }

  private async closeAll(): Promise<void> {
    await this.sink.close();
    // Leave a little of the bound for stop() itself; the source forces its side down past it.
    const deadline = (this.stopDeadline || Date.now() + DEFAULT_STOP_TIMEOUT_MS) - 250;
    this.closeForced = (await this.source.close(deadline)).forced;
  }
}

function nameOf(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`;
}

/**
 * The rejected row that crossed the limit is not kept: the task fails, so the open target
 * transaction (with that row's dirty record and the rest of its batch) is rolled back and replayed
 * on the next start. Only dirty records committed before it are in the target.
 */
function dirtyLimitExceeded(limit: number, last: DirtyRecord, dirty: DirtyRecordsKept): UnrecoverableError {
  const others = dirty.pending - 1;
  const kept = dirty.kept === 0 ? 'No rejected row is kept in the target.'
    : `${dirty.kept} row(s) rejected earlier are kept in ${dirty.where}.`;
  return new UnrecoverableError(`dirty records exceeded StartParam.errorLimit.record (${limit}): the target rejected a row of ${last.table} (${last.op}): ${last.error}. `
    + `That row was not kept: the target transaction holding it${others > 0 ? ` and ${others} other rejected row(s)` : ''} was rolled back, `
    + `and it is applied again on the next start. ${kept} Raise errorLimit.record or fix the row at the source, then start the task again.`);
}

/**
 * TerminateDISyncInstance / DeleteDISyncTask: release the source-side resources (PostgreSQL slot
 * and publication; skipped with `source: false`) and delete the task's checkpoint and dirty
 * records on the target. Idempotent; for a task whose pipeline is not running.
 */
export async function releaseTaskResources(
  spec: Pick<PipelineSpec, 'taskId' | 'source' | 'target'>, logger?: Logger, what: { source: boolean; tombstone?: number } = { source: true },
): Promise<void> {
  const log = logger ?? noopLogger;
  if (what.source) await releaseSource(spec.taskId, spec.source);
  const { sink } = openPorts(spec.taskId, spec.source, spec.target, log);
  try {
    await sink.discardCheckpoint(what.tombstone);
  } finally {
    await sink.close();
  }
}

/**
 * The forced path of a Stop in a cluster: raises the target checkpoint's fence to `fence` (the
 * position stays), so an owner that did not answer cannot commit again. A fence already higher is
 * fine: someone newer holds the task. A session of `unresponsiveNode` holding the checkpoint row
 * locked is ended rather than waited for (sinks/raise-fence.ts).
 */
export async function fenceTarget(spec: Pick<PipelineSpec, 'taskId' | 'target'>, fence: number, logger?: Logger, unresponsiveNode: string | null = null): Promise<void> {
  const log = logger ?? noopLogger;
  const { target } = spec;
  const dialect = dialectFor(target.kind, target.endpoint, `opendi:task-${spec.taskId}:fence`, log);
  await raiseFence(dialect, { installationId: target.installationId, taskId: spec.taskId }, fence, { unresponsiveNode, targetUser: target.endpoint.user, logger: log });
}

const noopLogger: Logger = { info() {}, warn() {}, error() {}, child: () => noopLogger };
