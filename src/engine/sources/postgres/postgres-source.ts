/**
 * PostgreSQL change source: a durable logical replication slot per task and a publication (the
 * task's own, or one the DBA created), streamed with pgoutput proto 1. Transactions whose commit
 * lies at or before the resume position are skipped whole. Decoded events wait in a bounded queue
 * (source-event-queue.ts) that pauses the socket, so memory stays bounded whatever a
 * transaction's size. Tables are known by OID (relation-tracker.ts), so a renamed table keeps
 * feeding its target table; a silent walsender is watched (stall-watch.ts) and the server's WAL
 * position sampled, so a stalled or still-decoding source never looks caught up (SourceClock).
 */
import pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import type { ChangeSource, SourceClock, TableRef, TableSchema } from '../../change-source.ts';
import type { ColumnValue, RelationInfo, RowChange, SourceEvent } from '../../change-event.ts';
import type { EngineEvent } from '../../engine-event.ts';
import { pgLogicalType } from '../../postgres/types.ts';
import { UnrecoverableError } from '../../errors.ts';
import { connectPg, delay, qualifiedName, quoteIdent } from '../../postgres/connection.ts';
import type { PooledConnections } from '../../connection-pool.ts';
import type { SharedUse } from '../../shared-pools.ts';
import { CONTROL_QUERY_MS, controlPool } from './control-pools.ts';
import { SourceEventQueue } from '../../source-event-queue.ts';
import { ReplicationStream } from './replication-stream.ts';
import { decodePgOutput } from './pgoutput-decoder.ts';
import { formatLsn, parseLsn, pgTimestampToDate } from './lsn.ts';
import { checkSourceTables, findSourceTableProblems } from './check-source-tables.ts';
import { RelationTracker, type Name, type TrackedTable } from './relation-tracker.ts';
import { catalogColumns, loadTrackedTables, resolveTables, storeTrackedTables } from './table-identity.ts';
import { StallWatch, classifyWaitEvent } from './stall-watch.ts';
import { toSourceError } from './source-errors.ts';
import { readColumnDefaults } from './column-defaults.ts';
import { nodeOfConnection } from '../../connection-name.ts';
import { serverWalFlush } from './server-wal-sample.ts';

export interface PostgresSourceSpec {
  endpoint: PgEndpoint;
  slotName: string;
  publicationName: string;
  tables: { schema: string; table: string }[];
  /** The publication was created by the DBA (reader parameter "publication"): never created, altered or dropped by the task. */
  externalPublication?: boolean;
  /** 2024 jobs: which other tables the task takes on when they appear (discoverTables). */
  selects?: (t: TableRef) => boolean;
  /** Warnings for the task's event log (engine-event.ts): SOURCE_STALLED, STALE_WALSENDER_TERMINATED. */
  onEvent?(event: EngineEvent): void;
  /** Silence (no data, no keepalive) that counts as a stall (default DEFAULT_STALL_MS). */
  stallAfterMs?: number;
  /** 'new-name' (RENAMETABLE is NORMAL): a renamed table's changes go out under its new name, its target table renamed too. */
  renamedTableTarget?: 'new-name' | 'original-name';
  /** The service's shared control pool of this source (control-pools.ts); absent: the task opens one control connection of its own. */
  controlPool?: SharedUse<PooledConnections<pg.Client>>;
  /** The service's shared pool of this source's server, for the server-wide WAL samples and walsender probes; absent: the control pool. */
  serverPool?: SharedUse<PooledConnections<pg.Client>>;
}

/** How long a walsender left by a previous owner gets to go away by itself before it is terminated. */
const STALE_WALSENDER_GRACE_MS = 3_000;
/**
 * A walsender named for another cluster node (`opendi:<node>:<task>`, README "Running several
 * nodes") belongs to an owner that lost the task: our claim carries a newer fence, so nothing it
 * could still send would be committed. It is terminated at once, without the grace that lets this
 * node's own previous pipeline exit by itself (the grace is most of a takeover's time otherwise).
 */
export function foreignOwner(holder: string | null, ours: string): boolean {
  if (!holder) return false;
  const theirs = nodeOfConnection(holder);
  return theirs !== undefined && !theirs.startsWith('task-') && theirs !== nodeOfConnection(ours);
}

/** A terminated walsender that still holds the slot after this is not going away (a frozen process). */
const STALE_WALSENDER_LIMIT_MS = 10_000;
/** Default stall bound: far under the server's wal_sender_timeout (60 s), far over a healthy walsender's ping answers (1 s). */
export const DEFAULT_STALL_MS = 15_000;
/** How often the server's WAL flush position is compared with what the walsender reported. */
const SAMPLE_MS = 1_000;
/** A task's own control connection (no shared pool): one, closed after a minute unused. */
const OWN_CONTROL = { max: 1, acquireTimeoutMs: CONTROL_QUERY_MS, idleMs: 60_000 };
const PROBE_MS = 5_000;
const SLOT_CREATE_MS = 300_000;

export class PostgresSource implements ChangeSource {
  /**
   * Where the catalog queries, probes, WAL samples and initial-load reads run: a connection taken
   * for one query or a short sequence, from the service's pool of this source or the task's own.
   */
  private readonly control: SharedUse<PooledConnections<pg.Client>>;
  /** Where the server-wide queries run (WAL samples, walsender probes): shared by the tasks of every database of the server. */
  private readonly server: SharedUse<PooledConnections<pg.Client>> | undefined;
  /** Connections taken and not given back yet, with the pool each came from. */
  private readonly controlInUse = new Map<pg.Client, PooledConnections<pg.Client>>();
  private controlEnded = false;
  private stream: ReplicationStream | undefined;
  private watch: StallWatch | undefined;
  private tracker = new RelationTracker([], false);
  private tables: TrackedTable[] = [];
  /** Each selected table's name at the source now (readChunk reads from there). */
  private readonly currentNames = new Map<string, Name>();
  private readonly chunkRelations = new Map<string, { relation: RelationInfo; keyNames: string[]; keyTypes: string[] }>();
  private readonly queue = new SourceEventQueue({ pause: () => this.stream?.pause(), resume: () => this.stream?.resume() });
  private skipBefore = 0n;
  private skipping = false;
  private inTransaction = false;
  /** Everything before this has been received and is a transaction boundary. */
  private receivedUpTo = 0n;
  private acknowledged = 0n;
  private walSenderTimeoutMs = 60_000;
  /** The server's WAL flush position at the last sample (SourceClock.serverAhead). */
  private serverWal: bigint | null = null;
  private sampledAt = 0;
  private sampling = false;
  private sampleFailed = false;
  private storedDoc: string | null = null;
  private storing: Promise<void> = Promise.resolve();
  /** schema.table of selected tables found unusable (discoverTables). */
  private readonly refused = new Set<string>();

  constructor(private readonly spec: PostgresSourceSpec, private readonly applicationName: string, private readonly logger: Logger) {
    this.server = spec.serverPool;
    if (spec.controlPool) {
      this.control = spec.controlPool;
    } else {
      const own = controlPool(spec.endpoint, applicationName, logger, OWN_CONTROL);
      this.control = { value: own, release: () => void own.end() };
    }
  }

  async prepare(resume: { position: string | null; mustExist: boolean }): Promise<{ created: boolean }> {
    try {
      return await this.prepareSource(resume);
    } catch (err) {
      throw this.sourceError(err);
    }
  }

  private async prepareSource(resume: { position: string | null; mustExist: boolean }): Promise<{ created: boolean }> {
    const { tables, created } = await this.withControl((c) => this.prepareOn(c, resume));
    if (!this.spec.externalPublication) await this.storeTables(tables);
    return { created };
  }

  private async prepareOn(c: pg.Client, resume: { position: string | null; mustExist: boolean }): Promise<{ tables: TrackedTable[]; created: boolean }> {
    const wal = (await c.query(`SHOW wal_level`)).rows[0].wal_level;
    if (wal !== 'logical') throw new UnrecoverableError(`the source database needs wal_level=logical (it has ${wal}); set it in postgresql.conf and restart PostgreSQL`);
    const slot = (await c.query(
      `SELECT plugin, database, active_pid, confirmed_flush_lsn::text AS confirmed, wal_status
         FROM pg_replication_slots WHERE slot_name = $1`, [this.spec.slotName])).rows[0];
    const external = this.spec.externalPublication === true;
    const stored = external ? null : await loadTrackedTables(c, this.spec.publicationName);
    this.storedDoc = stored && JSON.stringify(stored);
    // The columns are known right now only when streaming starts now (a new slot).
    const { tables, current, missing } = await resolveTables(c, this.spec.tables, stored, !slot && !resume.mustExist);
    // Creating or changing the task's own publication needs CREATE and ownership; one that already
    // covers the tables is checked like a DBA's (it exists, covers them, publishes every change).
    const own = external ? null : await this.publishedTables(c);
    const wanted = tables.map((t) => String(t.oid)).sort();
    const ready = external || (own !== null && missing.length === 0 && JSON.stringify(own) === JSON.stringify(wanted));
    await checkSourceTables(c, [...current, ...missing], { publication: ready ? this.spec.publicationName : undefined });
    this.tables = tables;
    tables.forEach((t, i) => this.currentNames.set(t.selected, current[i]));
    const since = resume.position ? `position ${resume.position}` : 'the task was first started';
    if ((!slot && resume.mustExist) || slot?.wal_status === 'lost') {
      // PostgreSQL before 17 does not copy logical slots to standbys: a failover loses them.
      throw new UnrecoverableError(`the replication slot ${this.spec.slotName} on the source is gone${slot ? ' (invalidated: its WAL was removed)' : ' (dropped, or the source failed over to a standby that never had it)'}, `
        + `so the changes made since ${since} cannot be recovered. Call TerminateDISyncInstance, then Start the task again to resynchronize.`);
    }
    if (slot && (slot.plugin !== 'pgoutput' || slot.database !== this.spec.endpoint.database)) {
      throw new UnrecoverableError(`the replication slot ${this.spec.slotName} exists but belongs to database ${slot.database} with plugin ${slot.plugin}`);
    }
    if (slot && resume.position && slot.confirmed && parseLsn(slot.confirmed) > parseLsn(resume.position)) {
      // Only committed positions are acknowledged, so the slot is ahead only when the target lost
      // commits (restored, or a commit that was not durable) or someone else recreated or advanced
      // the slot: the changes in between are gone (docs/cdc-failure-modes.md, mode 4).
      throw new UnrecoverableError(`the replication slot ${this.spec.slotName} has already released the changes up to ${slot.confirmed}, past the target's checkpoint ${resume.position} `
        + '(the target lost commits, or the slot was recreated or advanced by someone else); the changes in between cannot be recovered. '
        + 'Call TerminateDISyncInstance, then Start the task again to resynchronize.');
    }
    this.walSenderTimeoutMs = Number((await c.query(`SELECT setting FROM pg_settings WHERE name = 'wal_sender_timeout'`)).rows[0]?.setting ?? 60_000);
    // The publication must exist before the slot: pgoutput looks publications up as of the decoded WAL position.
    if (!ready) await this.ensurePublication(c, current, own !== null);
    if (!slot) {
      // PostgreSQL waits for the transactions running at this moment to end before the slot exists:
      // on a connection of its own, so the wait holds no connection other tasks' control queries share.
      await onOwnConnection(this.spec.endpoint, this.applicationName, (own) => own.query({
        text: `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, values: [this.spec.slotName], query_timeout: SLOT_CREATE_MS,
      } as pg.QueryConfig))
        .catch((err: Error) => {
          if (err.message !== 'Query read timeout') throw err;
          throw new Error(`could not create the replication slot within ${SLOT_CREATE_MS / 1000} s: PostgreSQL waits until the transactions `
            + 'running on the source when it was asked have ended (see pg_stat_activity for long-running ones)');
        });
      this.logger.info('created replication slot', { slot: this.spec.slotName, publication: this.spec.publicationName });
    } else if (slot.active_pid) {
      await this.releaseStaleWalsender(c);
    }
    return { tables, created: !slot };
  }

  async open(position: string | null): Promise<void> {
    this.skipBefore = position ? parseLsn(position) : 0n;
    this.acknowledged = this.skipBefore;
    try {
      // What became of each stored column since the stop, by attnum (the first Relation is compared with it).
      const catalog = await this.withControl((c) => catalogColumns(c, this.tables.filter((t) => t.columns).map((t) => t.oid)));
      this.tracker = new RelationTracker(this.tables, this.spec.renamedTableTarget === 'new-name', catalog);
      const stream = new ReplicationStream(this.spec.endpoint, this.applicationName, this.logger);
      this.stream = stream;
      await stream.start(this.spec.slotName, this.spec.publicationName, this.skipBefore, {
        onData: (payload) => this.onData(payload),
        onKeepalive: (walEnd) => { if (!this.inTransaction && walEnd > this.receivedUpTo) this.receivedUpTo = walEnd; },
        onError: (err) => this.fail(err),
      });
      this.watch = new StallWatch({
        stallMs: this.spec.stallAfterMs ?? DEFAULT_STALL_MS, walSenderTimeoutMs: this.walSenderTimeoutMs, logger: this.logger,
        silentMs: () => stream.silentMs(), probe: () => this.probeWalsender(stream.backendPid), onStall: (detail) => this.onStall(detail),
      });
      this.watch.start();
    } catch (err) {
      throw this.sourceError(err);
    }
  }

  next(idleMs: number): Promise<SourceEvent> {
    return this.queue.next(idleMs);
  }

  requestEnd(): void {
    this.queue.requestEnd();
  }

  acknowledge(position: string): void {
    const lsn = parseLsn(position);
    if (lsn > this.acknowledged) this.acknowledged = lsn;
    this.stream?.acknowledge(lsn);
    if (this.tracker.acknowledged(lsn) && !this.spec.externalPublication) void this.storeTables(this.tracker.document());
  }

  caughtUpPosition(): string | null {
    if (this.inTransaction || this.queue.pending > 0 || this.receivedUpTo <= this.acknowledged) return null;
    return formatLsn(this.receivedUpTo);
  }

  /**
   * lastHeardAt: the walsender's last message (it answers our pings about once a second).
   * serverAhead: a transaction is open in the stream, or the server's WAL had reached a position
   * the walsender has not reported yet (e.g. a large committed transaction it is still decoding).
   */
  clock(): SourceClock {
    this.sampleServerWal();
    // Until the first sample is in, the server may be ahead (a walsender reading a backlog still answers pings).
    const behind = this.serverWal === null ? !this.sampleFailed : this.serverWal > this.receivedUpTo;
    return { lastHeardAt: this.stream?.lastHeardAt ?? null, serverAhead: this.inTransaction || behind };
  }

  describeTable(relation: RelationInfo): Promise<TableSchema> {
    return this.withControl((c) => this.describeOn(c, relation));
  }

  private async describeOn(c: pg.Client, relation: RelationInfo): Promise<TableSchema> {
    // By identity: a table renamed at the source keeps its OID (and its changes may still carry the old name).
    const oid = relation.id > 0 ? relation.id : this.tracker.oidOfTarget(relation);
    // Generated columns are left out: pgoutput does not send them (PostgreSQL 15).
    const res = await c.query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
              COALESCE(a.attnum = ANY(i.indkey), false) AS is_key, pg_get_expr(d.adbin, d.adrelid) AS default_sql, a.attidentity AS identity
         FROM pg_attribute a
         LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = ${oid ? '$1::oid' : '$1::regclass'} AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        ORDER BY a.attnum`, [oid ?? qualifiedName(relation)]).catch((err) => { throw this.sourceError(err); });
    const defaults = await readColumnDefaults(c, res.rows);
    return {
      dialect: 'postgresql',
      columns: res.rows.map((r, i) => ({ name: r.name, type: r.type, logical: pgLogicalType(r.type), notNull: r.not_null, isKey: r.is_key, default: defaults[i] })),
    };
  }

  /**
   * New tables the task selects: PostgreSQL logs no CREATE TABLE for logical decoding, so the
   * catalog is watched instead. Each usable one (a primary key, a replica identity that carries
   * it, and the publication rights: check-source-tables.ts) is tracked by OID and then added to
   * the task's publication (a DBA's publication must already cover it); its changes committed
   * after that arrive in the stream. An unusable one is left alone, with a warning once.
   */
  async discoverTables(): Promise<TableRef[]> {
    const selects = this.spec.selects;
    if (!selects) return [];
    return this.withControl((c) => this.discoverOn(c, selects));
  }

  private async discoverOn(c: pg.Client, selects: (t: TableRef) => boolean): Promise<TableRef[]> {
    const external = this.spec.externalPublication === true;
    const rows = (await c.query(
      `SELECT cl.oid, n.nspname AS schema, cl.relname AS table FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE cl.relkind IN ('r', 'p') AND NOT cl.relispartition
          AND n.nspname NOT IN ('information_schema', 'opendi') AND n.nspname NOT LIKE 'pg\\_%'`)).rows as (TableRef & { oid: number })[];
    const added: TableRef[] = [];
    for (const { oid, schema, table } of rows) {
      const t = { schema, table };
      const key = `${schema}.${table}`;
      if (this.tables.some((x) => x.oid === oid) || this.refused.has(key) || !selects(t)) continue;
      const problems = await findSourceTableProblems(c, [t], { publication: external ? this.spec.publicationName : undefined });
      if (problems.length > 0) {
        this.refused.add(key);
        this.logger.warn('a new source table matches the task but cannot be synced; it is left alone', { table: key, problem: problems.join('; ') });
        continue;
      }
      // Tracked first: its changes may arrive as soon as the publication includes it.
      const tracked: TrackedTable = { oid, selected: key, source: t, target: t, columns: null };
      this.tables.push(tracked);
      this.tracker.track(tracked);
      this.currentNames.set(key, t);
      if (!external) await c.query(`ALTER PUBLICATION ${quoteIdent(this.spec.publicationName)} ADD TABLE ${qualifiedName(t)}`);
      added.push(t);
    }
    return added;
  }

  async headPosition(): Promise<string | null> {
    // The slot keeps everything after its confirmed position: streaming from there misses nothing.
    const r = (await this.withControl((c) => c.query(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [this.spec.slotName]))).rows[0];
    return r?.lsn ?? null;
  }

  async readChunk(table: TableRef, afterKey: ColumnValue[] | null, limit: number): Promise<{ relation: RelationInfo; rows: ColumnValue[][] }> {
    const key = `${table.schema}.${table.table}`;
    const from = this.currentNames.get(key) ?? table;
    let snapshot = this.chunkRelations.get(key);
    if (!snapshot) {
      const schema = await this.describeTable({ id: 0, schema: from.schema, table: from.table, columns: [] });
      const relation: RelationInfo = { id: 0, schema: table.schema, table: table.table, columns: schema.columns.map((col) => ({ name: col.name, isKey: col.isKey })) };
      snapshot = { relation, keyTypes: schema.columns.filter((col) => col.isKey).map((col) => col.type), keyNames: schema.columns.filter((col) => col.isKey).map((col) => col.name) };
      this.chunkRelations.set(key, snapshot);
    }
    const { relation, keyNames, keyTypes } = snapshot;
    const cols = relation.columns.map((col) => quoteIdent(col.name)).join(', ');
    const keyList = keyNames.map(quoteIdent).join(', ');
    const where = afterKey ? `WHERE (${keyList}) > (${keyTypes.map((t, i) => `$${i + 1}::${t}`).join(', ')})` : '';
    // Raw text from the output functions: the same canonical text pgoutput sends.
    const res = await this.withControl((c) => c.query({
      text: `SELECT ${cols} FROM ${qualifiedName(from)} ${where} ORDER BY ${keyList} LIMIT ${Math.max(1, Math.floor(limit))}`,
      values: afterKey ?? [], rowMode: 'array', types: { getTypeParser: () => (v: string) => v },
    } as pg.QueryConfig)).catch((err) => { throw this.sourceError(err); });
    return { relation, rows: res.rows as ColumnValue[][] };
  }

  async close(deadline: number): Promise<{ forced: boolean }> {
    this.watch?.stop();
    if (!this.stream) { this.endControl(); return { forced: false }; }
    const pid = this.stream.backendPid;
    await this.stream.end(Math.max(100, deadline - Date.now()));
    // The walsender exits shortly after our CopyDone / disconnect; wait until it has released the
    // slot and is gone, so no replication connection is left.
    let forced = false;
    while (pid !== null) {
      const r = (await this.withControl((c) => c.query(
        `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active_pid = $2)
             OR EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $2 AND backend_type = 'walsender') AS ours`, [this.spec.slotName, pid]))).rows[0];
      if (!r.ours) break;
      if (Date.now() > deadline) {
        // Only a walsender: once ours has exited (terminated by a newer owner), its pid may already
        // belong to an unrelated session (pids are reused), which must never be terminated.
        this.logger.warn('the walsender did not exit in time; terminating it', { pid });
        await this.withControl((c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_type = 'walsender'`, [pid]));
        forced = true;
        break;
      }
      await delay(20);
    }
    await Promise.race([this.storing, delay(Math.max(0, Math.min(2_000, deadline - Date.now())))]);
    this.endControl();
    return { forced };
  }

  async destroy(): Promise<void> {
    this.watch?.stop();
    const pid = this.stream?.backendPid ?? null;
    this.stream?.destroy();
    // Control queries in flight: their connections are dropped (never handed to another task), then the pool is let go.
    for (const c of [...this.controlInUse.keys()]) this.giveBack(c, true);
    this.endControl();
    // Our socket is gone, but the server may take a while to notice: end our walsender now.
    if (pid !== null) {
      await terminateBackend(this.spec.endpoint, this.applicationName, pid).catch((err) => this.logger.warn('could not terminate the walsender', { error: err }));
    }
  }

  private onData(payload: Buffer): void {
    let msg;
    try { msg = decodePgOutput(payload); } catch (err) { this.fail(err as Error); return; }
    switch (msg.tag) {
      case 'relation': {
        // A publication of the DBA's may cover more tables than the task's: those are left out.
        if (!this.tracker.has(msg.id)) return;
        const { changes } = this.tracker.onRelation(msg);
        // In a skipped transaction the target already has what the message shows.
        if (this.skipping) return;
        // Inside the transaction that first touches the table after the change; the position
        // is the last boundary (the pipeline does not commit a position in mid-transaction).
        const position = formatLsn(this.receivedUpTo);
        for (const change of changes) this.push({ kind: 'ddl', change, position, commitTime: new Date() });
        return;
      }
      case 'begin':
        this.inTransaction = true;
        // Resume rule: skip a transaction whose commit ends at or before the checkpoint. Its commit
        // record starts at finalLsn; a checkpoint is always a record boundary, so
        // "end <= checkpoint" is the same as "start < checkpoint".
        this.skipping = msg.finalLsn < this.skipBefore;
        if (!this.skipping) this.push({ kind: 'begin', commitTime: pgTimestampToDate(msg.commitTime) });
        return;
      case 'commit':
        this.inTransaction = false;
        this.tracker.onCommit(msg.endLsn);
        if (msg.endLsn > this.receivedUpTo) this.receivedUpTo = msg.endLsn;
        if (this.skipping) { this.skipping = false; return; }
        this.push({ kind: 'commit', position: formatLsn(msg.endLsn), commitTime: pgTimestampToDate(msg.commitTime) });
        return;
      case 'insert': case 'update': case 'delete': {
        if (this.skipping || !this.tracker.has(msg.relationId)) return;
        const relation = this.tracker.relation(msg.relationId);
        if (!relation) { this.fail(new Error(`pgoutput: change for unknown relation ${msg.relationId}`)); return; }
        let change: RowChange;
        if (msg.tag === 'insert') change = { op: 'insert', relation, values: msg.values };
        else if (msg.tag === 'update') change = { op: 'update', relation, values: msg.values, oldKey: msg.oldKey };
        else change = { op: 'delete', relation, oldKey: msg.oldKey };
        this.push({ kind: 'change', change });
        return;
      }
      case 'truncate': {
        if (this.skipping) return;
        const relations = msg.relationIds.map((id) => this.tracker.relation(id)).filter((r): r is RelationInfo => r !== undefined);
        if (relations.length > 0) this.push({ kind: 'truncate', relations });
        return;
      }
      default:
        return;
    }
  }

  private push(ev: SourceEvent): void {
    this.queue.push(ev);
  }

  private fail(err: Error): void {
    this.watch?.stop();
    this.queue.fail(this.sourceError(err));
  }

  private sourceError(err: unknown): Error {
    return toSourceError(err, { user: this.spec.endpoint.user, database: this.spec.endpoint.database });
  }

  private onStall(detail: string): void {
    const pid = this.stream?.backendPid;
    this.logger.warn('the replication stream stalled; reconnecting', { detail, pid });
    this.spec.onEvent?.({ type: 'warning', code: 'SOURCE_STALLED', detail: `PostgreSQL walsender ${pid ?? '?'}: ${detail}; reconnecting` });
    this.stream?.destroy();
    this.fail(new Error(`the replication stream stalled: ${detail}`));
  }

  private async probeWalsender(pid: number | null): Promise<{ state: 'gone' } | { state: 'waiting' | 'busy'; waitEvent: string | null }> {
    const r = (await this.withServer((c) => c.query({
      text: `SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = $1`, values: [pid], query_timeout: PROBE_MS,
    } as pg.QueryConfig))).rows[0];
    if (!r) return { state: 'gone' };
    return { state: classifyWaitEvent(r.wait_event_type), waitEvent: r.wait_event_type ? `${r.wait_event_type}/${r.wait_event}` : null };
  }

  /** Starts a sample of the server's WAL flush position, then pings, so the walsender's answer tells whether it has reached it. */
  private sampleServerWal(): void {
    const stream = this.stream;
    if (!stream || this.controlEnded || this.sampling || Date.now() - this.sampledAt < SAMPLE_MS) return;
    this.sampling = true;
    const sample = serverWalFlush(this.serverConnections, SAMPLE_MS, async () => parseLsn((await this.withServer((c) => c.query({
      text: `SELECT pg_current_wal_flush_lsn()::text AS lsn`, query_timeout: PROBE_MS,
    } as pg.QueryConfig))).rows[0].lsn));
    this.sampledAt = sample.at;
    sample.lsn.then((lsn) => { this.serverWal = lsn; stream.ping(); })
      .catch((err) => { this.sampleFailed = true; this.logger.warn('could not read the source server\'s WAL position', { error: err }); })
      .finally(() => { this.sampling = false; });
  }

  /**
   * `work` on a control connection taken for it and given back after; one whose work failed is
   * dropped (its state is unknown), so a failure never reaches another task sharing the pool.
   */
  private withControl<R>(work: (c: pg.Client) => Promise<R>): Promise<R> {
    return this.withConnection(this.control.value, work);
  }

  /** Where the server-wide queries run: the server's shared pool, else the control pool. */
  private get serverConnections(): PooledConnections<pg.Client> {
    return (this.server ?? this.control).value;
  }

  /** A server-wide query (any database of the server answers it the same). */
  private withServer<R>(work: (c: pg.Client) => Promise<R>): Promise<R> {
    return this.withConnection(this.serverConnections, work);
  }

  private async withConnection<R>(pool: PooledConnections<pg.Client>, work: (c: pg.Client) => Promise<R>): Promise<R> {
    if (this.controlEnded) throw new Error('the source is closed');
    const c = await pool.acquire();
    if (this.controlEnded) { pool.release(c, false); throw new Error('the source is closed'); }
    this.controlInUse.set(c, pool);
    let failed = true;
    try {
      const result = await work(c);
      failed = false;
      return result;
    } finally {
      this.giveBack(c, failed);
    }
  }

  private giveBack(c: pg.Client, broken: boolean): void {
    const pool = this.controlInUse.get(c);
    if (!pool) return;
    this.controlInUse.delete(c);
    pool.release(c, broken);
  }

  /** Lets go of the control pools (a shared one stays open for the other tasks; the task's own closes). */
  private endControl(): void {
    if (this.controlEnded) return;
    this.controlEnded = true;
    this.control.release();
    this.server?.release();
  }

  /** The task's own publication, for the tables as they are named now. */
  private async ensurePublication(c: pg.Client, tables: Name[], exists: boolean): Promise<void> {
    const name = quoteIdent(this.spec.publicationName);
    const list = tables.map(qualifiedName).join(', ');
    // publish_via_partition_root: changes of a partitioned table arrive under its own name, not its partitions'.
    if (!exists) await c.query(`CREATE PUBLICATION ${name} FOR TABLE ${list} WITH (publish_via_partition_root = true)`);
    else await c.query(`ALTER PUBLICATION ${name} SET TABLE ${list}`);
  }

  /** The OIDs (as text, sorted) of the tables in the task's own publication; null when it does not exist. */
  private async publishedTables(c: pg.Client): Promise<string[] | null> {
    const r = (await c.query(
      `SELECT ARRAY(SELECT prrelid::text FROM pg_publication_rel WHERE prpubid = p.oid) AS rels FROM pg_publication p WHERE pubname = $1`,
      [this.spec.publicationName])).rows[0];
    return r ? (r.rels as string[]).sort() : null;
  }

  /** Stores the tables' identities as the publication's comment (table-identity.ts), one write at a time. */
  private storeTables(tables: TrackedTable[]): Promise<void> {
    this.storing = this.storing.then(async () => {
      const doc = JSON.stringify(tables);
      if (doc === this.storedDoc || this.controlEnded) return;
      await this.withControl((c) => storeTrackedTables(c, this.spec.publicationName, tables));
      this.storedDoc = doc;
    }).catch((err) => this.logger.warn('could not store the source tables\' description', { error: err }));
    return this.storing;
  }

  /**
   * A walsender still holding our slot belongs to an earlier owner of this task (crash, forced
   * stop, a stalled stream, or an owner just fenced by our claim, which stops at its next commit).
   * It gets a grace period, then is terminated; one that still does not exit (a frozen process
   * defers the signal) fails this attempt, and the runner tries again later.
   */
  private async releaseStaleWalsender(c: pg.Client): Promise<void> {
    const start = Date.now();
    let terminated: number | null = null;
    this.logger.info('the slot is still held by an earlier owner; waiting for it to let go', { slot: this.spec.slotName });
    for (;;) {
      const r = (await c.query(
        `SELECT s.active_pid, a.application_name FROM pg_replication_slots s LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid WHERE s.slot_name = $1`,
        [this.spec.slotName])).rows[0];
      if (!r?.active_pid) return;
      const waited = Date.now() - start;
      const grace = foreignOwner(r.application_name, this.applicationName) ? 0 : STALE_WALSENDER_GRACE_MS;
      if (waited > grace + STALE_WALSENDER_LIMIT_MS) {
        throw new Error(`the replication slot ${this.spec.slotName} is still held by walsender ${r.active_pid} (${r.application_name ?? 'unknown'}), `
          + `which did not exit ${Math.round(STALE_WALSENDER_LIMIT_MS / 1000)} s after it was terminated`);
      }
      if (waited >= grace && terminated !== r.active_pid) {
        terminated = r.active_pid;
        this.logger.warn('terminating the walsender of an earlier owner of the slot', { pid: r.active_pid, applicationName: r.application_name });
        this.spec.onEvent?.({ type: 'warning', code: 'STALE_WALSENDER_TERMINATED',
          detail: `the replication slot ${this.spec.slotName} was still held by walsender ${r.active_pid} (${r.application_name ?? 'unknown'}) after ${Math.round(waited / 1000)} s; terminated it` });
        await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_type = 'walsender'`, [r.active_pid]);
      }
      await delay(100);
    }
  }
}

/** `work` on a short-lived connection of its own (bounded like a control connection; closed after, whatever happens). */
async function onOwnConnection<R>(endpoint: PgEndpoint, applicationName: string, work: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = await connectPg(endpoint, applicationName, () => undefined, { query_timeout: CONTROL_QUERY_MS });
  try {
    return await work(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

function terminateBackend(endpoint: PgEndpoint, applicationName: string, pid: number): Promise<unknown> {
  // A failure here only means the server is out of reach; the caller logs the rejection.
  return onOwnConnection(endpoint, applicationName, (c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_type = 'walsender'`, [pid]));
}
