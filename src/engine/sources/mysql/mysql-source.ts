/**
 * MySQL/MariaDB change source (the ChangeSource port, change-source.ts): reads the binlog as a
 * replica would (COM_BINLOG_DUMP, binlog-connection.ts) from a position of ours (position.ts,
 * start-position.ts), assembles whole transactions of the task's tables and turns DDL on them into
 * `ddl` events (binlog-transactions.ts), with the tables' metadata from information_schema
 * (source-tables.ts). The server keeps no bookmark for us, and binlog retention is the server's
 * (expire_logs_days / binlog_expire_logs_seconds): a checkpoint whose binlog was purged is an
 * UnrecoverableError. Decoded events wait in a bounded queue; past its high-water mark the socket
 * is paused.
 *
 * Tested against MariaDB 10.11. MySQL 8 is NOT tested: file:offset positions should work, but its
 * binary JSON (type 245) fails loudly, and caching_sha2_password over plain TCP may need TLS.
 */
import type { Logger } from '../../../logger.ts';
import type { DbEndpoint } from '../../endpoint.ts';
import type { ChangeSource, SourceClock, TableRef, TableSchema } from '../../change-source.ts';
import type { ColumnValue, RelationInfo, SourceEvent } from '../../change-event.ts';
import type { EngineEvent } from '../../engine-event.ts';
import { UnrecoverableError } from '../../errors.ts';
import { isMariaDbVersion } from '../../mysql/connection.ts';
import { SourceEventQueue } from '../../source-event-queue.ts';
import { BinlogConnection, DumpStalledError } from './binlog-connection.ts';
import { BinlogEventParser } from './binlog-events.ts';
import { BinlogTransactions } from './binlog-transactions.ts';
import { openControlConnection, type ControlConnection } from './control-connection.ts';
import { killDumpThreadNow, releaseDumpThread } from './dump-thread.ts';
import { comparePositions, formatPosition, parsePosition, type BinlogPosition } from './position.ts';
import { asPermanentError, currentGrantee, granteeOf } from './privileges.ts';
import { checkServerSettings } from './server-settings.ts';
import { SourceTables, type RenamedTableTarget } from './source-tables.ts';
import { checkStillOnServer, currentEnd, gtidAt, mapStreamError, resolveStart, scanContext, type SourceServer } from './start-position.ts';
import { findMySqlSourceTableProblems, loadTableColumns, toTableSchema } from './table-info.ts';
import { canonicalRow, chunkStatement } from './snapshot-reader.ts';
import { findPositionAt } from './time-scan.ts';

export { findMySqlSourceTableProblems } from './table-info.ts';

export interface MySqlSourceSpec {
  endpoint: DbEndpoint;
  /** Our replica server_id: unique per task and distinct from every real replica (a second dump with it drops the first). */
  serverId: number;
  tables: TableRef[];
  /** The stall bound (ms): see STALL_AFTER_MS. */
  stallAfterMs?: number;
  /** Warnings for the task's event log (engine-event.ts), e.g. SOURCE_STALLED. */
  onEvent?(event: EngineEvent): void;
  /** Where rows of a renamed task table go (source-tables.ts): 'new-name' when RENAMETABLE is NORMAL. */
  renamedTableTarget?: RenamedTableTarget;
  /** The bound on each statement and network step (control-connection.ts STATEMENT_TIMEOUT_MS when absent). */
  statementTimeoutMs?: number;
  /** 2024 jobs: a table created while streaming that this selects becomes a task table from its CREATE TABLE on. */
  selects?: (t: TableRef) => boolean;
  /** The control connection closes after this long unused (CONTROL_IDLE_MS when absent). */
  controlIdleMs?: number;
  /**
   * Tables (by the name their changes carry) whose updates and deletes carry every column of the
   * old row, because a 2024 job's rules read it (table-rules.ts readsOldRow); the others carry only
   * the key columns of it, the rest UNCHANGED (change-event.ts). Absent: key columns for every table.
   */
  wholeOldRow?: (t: TableRef) => boolean;
}

/**
 * The control connection serves the start, the initial load, re-reads after DDL and the stop; a
 * streaming task does not need it, so it closes after this long unused and opens again when
 * needed: a task that streams holds only its binlog connection (docs/target-checkpoint.md "Connections").
 */
const CONTROL_IDLE_MS = 10_000;

/** The server sends a heartbeat after this long without events (@master_heartbeat_period). */
const HEARTBEAT_MS = 1_000;
/**
 * The stall bound: no event and no heartbeat for this long while we read, and the dump is declared
 * stalled (a recoverable failure; the runner reconnects, and the stale dump thread is KILLed).
 * Ten heartbeat periods: a loaded server or a busy 2-core host delays a heartbeat by seconds, not
 * by ten, so a healthy dump never trips it; and it is far below the server's own limits
 * (net_write_timeout / slave_net_timeout, 60 s), so we notice a silent dump long before they do.
 */
export const STALL_AFTER_MS = 10 * HEARTBEAT_MS;

export class MySqlSource implements ChangeSource {
  private control: ControlConnection | undefined;
  private opening: Promise<ControlConnection> | undefined;
  private controlEnded = false;
  private binlog: BinlogConnection | undefined;
  private parser: BinlogEventParser | undefined;
  private transactions: BinlogTransactions | undefined;
  private mariaDb = false;
  private readonly tables: SourceTables;
  private startPosition: string | null = null;
  // Reading stays paused while information_schema is re-read after DDL (see `refreshing`).
  private readonly queue = new SourceEventQueue({ pause: () => this.binlog?.pause(), resume: () => { if (!this.refreshing) this.binlog?.resume(); } });
  private closing = false;
  private acknowledged: BinlogPosition | null = null;
  /** While information_schema is re-read after DDL, later events wait here (copied). */
  private refreshing: Promise<void> | null = null;
  private backlog: Buffer[] = [];
  /** The source user as GRANT names it (privileges.ts); known once connected. */
  private grantee: string | null = null;

  constructor(private readonly spec: MySqlSourceSpec, private readonly applicationName: string, private readonly logger: Logger) {
    this.tables = new SourceTables(spec.tables, spec.renamedTableTarget, spec.selects, spec.wholeOldRow);
  }

  async prepare(resume: { position: string | null; mustExist: boolean }): Promise<{ created: boolean }> {
    // A malformed position fails before anything else; renamed task tables are followed from the start.
    if (resume.position) this.tables.applyRenames(parsePosition(resume.position).renamed ?? []);
    return this.guarded(async () => {
      const c = await this.controlConnection();
      await checkServerSettings(c, this.logger);
      const problems = await findMySqlSourceTableProblems(c, this.tables.refs);
      if (problems.length > 0) throw new UnrecoverableError(problems.join('; '));
      if (resume.position) await checkStillOnServer(await this.server(), resume.position);
      return { created: false };
    });
  }

  async open(position: string | null): Promise<void> {
    return this.guarded(async () => {
      const c = await this.controlConnection();
      if (position) this.tables.applyRenames(parsePosition(position).renamed ?? []);
      await this.tables.load(c);
      const { start, byGtid } = await resolveStart(await this.server(), position);
      this.startPosition = formatPosition(start);
      this.acknowledged = position ? { ...start } : null;
      const transactions = new BinlogTransactions(this.tables, {
        emit: (ev) => this.queue.push(ev),
        ddlTouched: (keys, created) => this.refreshTables(keys, created),
        warn: (code, detail, table) => {
          this.logger.warn('source warning', { code, detail });
          this.spec.onEvent?.({ type: 'warning', code, detail, table });
        },
      }, start, byGtid);
      transactions.onStartCorrected = (at) => { if (this.acknowledged) this.acknowledged = { ...this.acknowledged, ...at }; };
      this.transactions = transactions;
      const [ck] = await c.query('SELECT @@global.binlog_checksum AS ck');
      this.parser = new BinlogEventParser(transactions, String((ck as { ck: string }[])[0].ck).toUpperCase() === 'CRC32');
      this.parser.file = start.file;
      this.binlog = new BinlogConnection(this.spec.endpoint, {
        onEvent: (b, s, e) => this.onEventBytes(b, s, e),
        onError: (err) => this.onStreamError(err),
      });
      await this.binlog.start({
        serverId: this.spec.serverId, file: start.file, offset: start.offset, heartbeatMs: HEARTBEAT_MS, mariaDb: this.mariaDb,
        gtid: byGtid ? start.gtid! : undefined, deadAfterMs: this.spec.stallAfterMs ?? STALL_AFTER_MS, stepTimeoutMs: this.spec.statementTimeoutMs,
      });
    });
  }

  /**
   * SourceClock: heard from = any packet of the dump (events and the heartbeats the server sends
   * every HEARTBEAT_MS while idle). Ahead = something the server sent is not delivered yet: events
   * queued or held back, a transaction still arriving (a large committed one streams for a while),
   * or a heartbeat naming a binlog position past the last event read.
   */
  clock(): SourceClock {
    const heard = this.binlog?.lastPacketAt ?? 0;
    return { lastHeardAt: heard ? new Date(heard) : null, serverAhead: this.serverAhead() };
  }

  private serverAhead(): boolean {
    const t = this.transactions;
    if (!t) return false;
    if (this.queue.pending > 0 || t.inTransaction || this.refreshing || this.backlog.length > 0) return true;
    const reported = t.reported;
    const read = this.parser && this.parser.lastEnd > 0 ? { file: this.parser.file, offset: this.parser.lastEnd, gtid: null } : null;
    return !!reported && !!read && comparePositions({ ...reported, gtid: null }, read) > 0;
  }

  next(idleMs: number): Promise<SourceEvent> {
    return this.queue.next(idleMs);
  }

  requestEnd(): void {
    this.queue.requestEnd();
  }

  /** Bookkeeping only: the server keeps no record of a binlog reader's progress. */
  acknowledge(position: string): void {
    const p = parsePosition(position);
    // The same GTID state is the same point, whatever file:offset it carries (a GTID resume corrects it).
    if (p.gtid && this.acknowledged && p.gtid === this.acknowledged.gtid) return;
    if (!this.acknowledged || comparePositions(p, this.acknowledged) > 0) this.acknowledged = p;
  }

  caughtUpPosition(): string | null {
    const t = this.transactions;
    if (!t || t.inTransaction || this.queue.pending > 0 || this.backlog.length > 0) return null;
    if (this.acknowledged && comparePositions(t.received, this.acknowledged) <= 0) return null;
    return formatPosition(t.received);
  }

  async describeTable(relation: RelationInfo): Promise<TableSchema> {
    return this.guarded(async () => {
      const table = this.tables.sourceOf(relation);
      const cols = await loadTableColumns(await this.controlConnection(), table);
      if (cols.length === 0) throw new Error(`source table ${table.schema}.${table.table} does not exist`);
      return toTableSchema(cols);
    });
  }

  async headPosition(): Promise<string | null> {
    return this.guarded(async () => {
      return formatPosition(await currentEnd(await this.server()));
    });
  }

  /**
   * The position (at a transaction boundary) just before the first transaction in the binlogs
   * still on the server whose timestamp is at or after `time`. Binlog timestamps are whole
   * seconds: this is the first transaction in the same second as `time` or later. A `time` after
   * everything (also in the future): the current end. A `time` before the oldest binlog's first
   * event: UnrecoverableError (those changes were purged). Scanning uses its own short-lived,
   * non-blocking dumps (time-scan.ts): nothing reaches this source's events, no dump thread stays.
   * If the oldest binlog was opened in the very second of `time`, transactions of already purged
   * binlogs from that second are gone without an error.
   */
  async positionAt(time: Date): Promise<string> {
    return this.guarded(async () => {
      const server = await this.server();
      const found = await findPositionAt(scanContext(server), time);
      if (found === 'end') return formatPosition(await currentEnd(server));
      if (this.mariaDb) found.gtid = await gtidAt(server, found.file, found.offset);
      return formatPosition(found);
    });
  }

  async readChunk(named: TableRef, afterKey: ColumnValue[] | null, limit: number): Promise<{ relation: RelationInfo; rows: ColumnValue[][] }> {
    return this.guarded(async () => {
      const table = this.tables.sourceOf(named);
      const c = await this.controlConnection();
      const cols = await this.tables.columnsOf(c, table);
      if (cols.length === 0) throw new Error(`source table ${table.schema}.${table.table} does not exist`);
      const relation = this.tables.relationFor(table.schema, table.table, cols.map((col) => ({ name: col.name, isKey: col.isKey })));
      const st = chunkStatement(table, cols, afterKey, limit);
      // The binary protocol (exact FLOAT/DOUBLE bits); plain reads take no table locks.
      const rows = await c.executeRows(st.sql, st.params as (string | null)[]);
      return { relation, rows: rows.map((r) => canonicalRow(cols, r)) };
    });
  }

  async close(deadline: number): Promise<{ forced: boolean }> {
    this.closing = true;
    const binlog = this.binlog;
    this.binlog = undefined;
    binlog?.destroy();
    let forced = false;
    // Our socket is gone, but a dump thread only notices when it next writes: KILL it so the
    // server releases it now, then wait until PROCESSLIST no longer shows it.
    if (binlog?.threadId) forced = (await releaseDumpThread(await this.controlConnection(), binlog.thread, deadline, this.logger)).forced;
    await this.endControl();
    return { forced };
  }

  async destroy(): Promise<void> {
    this.closing = true;
    const binlog = this.binlog;
    this.binlog = undefined;
    binlog?.destroy();
    this.controlEnded = true;
    const c = this.control;
    this.control = undefined;
    c?.destroy();
    if (binlog) await killDumpThreadNow(this.spec.endpoint, binlog.thread, this.logger, this.spec.statementTimeoutMs);
  }

  // ---- the binlog stream ---------------------------------------------------------------------

  private onEventBytes(b: Buffer, start: number, end: number): void {
    if (this.closing || this.queue.failure) return;
    if (this.refreshing) { this.backlog.push(Buffer.from(b.subarray(start, end))); return; }
    this.parser!.parse(b, start, end);
  }

  /**
   * Re-reads information_schema for tables changed by DDL; later events wait in the backlog meanwhile.
   * `created`: CREATE TABLE events of new tables the job selects, delivered once their columns show a
   * primary key; a keyless one is dropped from the task with a warning (it cannot be synced by key).
   */
  private refreshTables(keys: string[], created: SourceEvent[] = []): void {
    if (keys.length === 0) return;
    this.binlog?.pause();
    this.refreshing = (async () => {
      try {
        await this.tables.refresh(await this.controlConnection(), keys);
        for (const ev of created) {
          if (ev.kind !== 'ddl') continue;
          const { schema, table } = ev.change;
          if (this.tables.hasKey(schema, table)) { this.queue.push(ev); continue; }
          this.tables.drop(schema, table);
          this.logger.warn('a new source table matches the task but has no primary key; it is left alone', { table: `${schema}.${table}` });
          this.spec.onEvent?.({ type: 'warning', code: 'NEW_TABLE_WITHOUT_KEY', detail: 'a new source table matches the task but has no primary key; it is left alone', table: `${schema}.${table}` });
        }
      } catch (err) {
        this.fail(err as Error);
      }
      this.refreshing = null;
      const backlog = this.backlog;
      this.backlog = [];
      for (let i = 0; i < backlog.length; i++) {
        if (this.closing || this.queue.failure) return;
        if (this.refreshing) { this.backlog.push(...backlog.slice(i)); return; } // another DDL in the backlog
        try { this.parser!.parse(backlog[i], 0, backlog[i].length); } catch (err) { this.fail(err as Error); return; }
      }
      this.queue.resumeIfDrained();
    })();
  }

  private onStreamError(err: Error & { errno?: number }): void {
    if (err instanceof DumpStalledError && !this.closing) {
      this.logger.warn('the binlog dump stalled; failing the source so that it reconnects', { error: err.message });
      this.spec.onEvent?.({ type: 'warning', code: err.code, detail: err.message });
    }
    this.fail(this.permanent(mapStreamError(err, this.spec.serverId, this.startPosition)));
  }

  /** A privilege or identity problem fails at once and names its GRANT (privileges.ts). */
  private permanent(err: Error): Error {
    return asPermanentError(err, { grantee: this.grantee ?? granteeOf(`${this.spec.endpoint.user}@%`), database: this.spec.endpoint.database });
  }

  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    try { return await fn(); } catch (err) { throw this.permanent(err as Error); }
  }

  private fail(err: Error): void {
    if (this.closing) return;
    this.queue.fail(err);
  }

  // ---- the control connection ----------------------------------------------------------------

  private async server(): Promise<SourceServer> {
    const control = await this.controlConnection();
    return { endpoint: this.spec.endpoint, serverId: this.spec.serverId, mariaDb: this.mariaDb, control, logger: this.logger };
  }

  /**
   * One opening at a time: two callers that found no connection (a re-read after DDL while the
   * pipeline describes the table) each opened one, and the one overwritten was never closed (its
   * idle close saw it was no longer the current one), a connection leaked per race.
   */
  private controlConnection(): Promise<ControlConnection> {
    if (this.control) return Promise.resolve(this.control);
    this.opening ??= this.openControl().finally(() => { this.opening = undefined; });
    return this.opening;
  }

  private async openControl(): Promise<ControlConnection> {
    const c = await openControlConnection(this.spec.endpoint, (err) => this.fail(err), this.spec.statementTimeoutMs);
    try {
      const [rows] = await c.query('SELECT VERSION() AS v');
      this.mariaDb = isMariaDbVersion(String((rows as { v: string }[])[0].v));
      this.grantee ??= await currentGrantee(c, this.spec.endpoint.user);
      // Ended meanwhile (close or destroy): nobody would close this one.
      if (this.controlEnded) throw new Error('the source is closed');
    } catch (err) {
      c.destroy();
      throw err;
    }
    this.control = this.closedWhenIdle(c);
    return this.control;
  }

  /** `c`, closed CONTROL_IDLE_MS after its last statement ended (none running); the next use opens another. */
  private closedWhenIdle(c: ControlConnection): ControlConnection {
    let running = 0;
    let timer: NodeJS.Timeout | undefined;
    const idle = () => {
      if (running > 0 || this.control !== wrapped) return;
      this.control = undefined;
      void c.end();
    };
    const tracked = async <T>(work: () => Promise<T>): Promise<T> => {
      running++;
      clearTimeout(timer);
      try {
        return await work();
      } finally {
        if (--running === 0) {
          timer = setTimeout(idle, this.spec.controlIdleMs ?? CONTROL_IDLE_MS);
          timer.unref();
        }
      }
    };
    const wrapped: ControlConnection = {
      query: (sql, params) => tracked(() => c.query(sql, params)),
      executeRows: (sql, params) => tracked(() => c.executeRows(sql, params)),
      end: () => { clearTimeout(timer); return c.end(); },
      destroy: () => { clearTimeout(timer); c.destroy(); },
    };
    return wrapped;
  }

  private async endControl(): Promise<void> {
    this.controlEnded = true;
    const c = this.control;
    this.control = undefined;
    await c?.end();
  }
}
