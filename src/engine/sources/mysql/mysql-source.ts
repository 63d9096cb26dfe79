/**
 * MySQL/MariaDB change source: reads the binlog as a replica would (COM_BINLOG_DUMP, on MariaDB
 * from after the position's GTID state, else from its file:offset; position.ts, binlog-connection.ts), assembles whole transactions of the task's tables
 * and turns DDL statements on them into `ddl` events. The server keeps no bookmark for us: the
 * position (position.ts) is ours, and binlog retention is the server's (expire_logs_days /
 * binlog_expire_logs_seconds), so a checkpoint whose binlog was purged is an UnrecoverableError.
 * Decoded events wait in a bounded queue; past its high-water mark the socket is paused.
 *
 * Tested against MariaDB 10.11. MySQL 8 is NOT tested: file:offset positions should work, but its
 * binary JSON (type 245) fails loudly, and caching_sha2_password over plain TCP may need TLS.
 */
import mysql from 'mysql2/promise';
import type { Logger } from '../../../logger.ts';
import type { DbEndpoint } from '../../endpoint.ts';
import type { ChangeSource, TableRef, TableSchema } from '../../change-source.ts';
import type { ColumnValue, RelationInfo, SchemaChange, SourceEvent } from '../../change-event.ts';
import { UnrecoverableError } from '../../errors.ts';
import { SESSION_SETUP, delay, isMariaDbVersion, mysqlConnectionOptions } from '../../mysql/connection.ts';
import { SourceEventQueue } from '../../source-event-queue.ts';
import { BinlogConnection, killDumpThread } from './binlog-connection.ts';
import { BinlogEventParser, type BinlogHandler, type RowOp } from './binlog-events.ts';
import { decodeRow } from './row-decoder.ts';
import { T, type TableMap } from './table-map.ts';
import { comparePositions, formatPosition, GtidState, parsePosition, type BinlogPosition } from './position.ts';
import { findMySqlSourceTableProblems, loadTableColumns, toTableSchema, type InfoColumn } from './table-info.ts';
import { canonicalRow, chunkStatement } from './snapshot-reader.ts';
import { parseDdl } from './ddl-parser.ts';
import { findPositionAt, gtidStartProblem } from './time-scan.ts';

export { findMySqlSourceTableProblems } from './table-info.ts';

export interface MySqlSourceSpec {
  endpoint: DbEndpoint;
  /** Our replica server_id: unique per task and distinct from every real replica (a second dump with it drops the first). */
  serverId: number;
  tables: TableRef[];
  /** 2024 jobs: a table created while streaming that this selects becomes a task table from its CREATE TABLE on. */
  selects?: (t: TableRef) => boolean;
}

const HEARTBEAT_MS = 1_000;
/** No packet (not even a heartbeat) for this long while reading: the server is gone. */
const DEAD_AFTER_MS = 3 * HEARTBEAT_MS + 2_000;
const RETENTION_ADVICE = 'Call TerminateDISyncInstance, then Start the task again to resynchronize; '
  + 'to keep binlogs longer, raise binlog_expire_logs_seconds (or expire_logs_days) on the source.';

const tableKey = (schema: string, table: string) => `${schema}.${table}`.toLowerCase();

interface MappedTable { map: TableMap; relation: RelationInfo | null }

export class MySqlSource implements ChangeSource {
  private control: mysql.Connection | undefined;
  private binlog: BinlogConnection | undefined;
  private parser: BinlogEventParser | undefined;
  private mariaDb = false;
  private readonly taskTables = new Map<string, TableRef>();
  private collations = new Map<number, string>();
  private readonly infoColumns = new Map<string, InfoColumn[]>();
  private readonly relations = new Map<string, { relation: RelationInfo; signature: string }>();
  private readonly tableMaps = new Map<number, MappedTable>();
  private nextRelationId = 1;
  private gtid: GtidState | null = null;
  private startPosition: string | null = null;
  /** Resumed by GTID: the position's file:offset is corrected from the stream at the first event group. */
  private correctStartAtGroup = false;
  // Reading stays paused while information_schema is re-read after DDL (see `refreshing`).
  private readonly queue = new SourceEventQueue({ pause: () => this.binlog?.pause(), resume: () => { if (!this.refreshing) this.resumeReading(); } });
  private closing = false;
  private inTransaction = false;
  private transactionBegun = false;
  private transactionTime = new Date(0);
  /** Just past the last whole transaction / DDL seen, delivered or filtered. */
  private received: BinlogPosition | null = null;
  private acknowledged: BinlogPosition | null = null;
  /** While information_schema is re-read after DDL, later events wait here (copied). */
  private refreshing: Promise<void> | null = null;
  private backlog: Buffer[] = [];
  private lastPacketAt = 0;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly spec: MySqlSourceSpec, private readonly applicationName: string, private readonly logger: Logger) {
    for (const t of spec.tables) this.taskTables.set(tableKey(t.schema, t.table), t);
  }

  async prepare(resume: { position: string | null; mustExist: boolean }): Promise<{ created: boolean }> {
    const c = await this.controlConnection();
    const [vars] = await c.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata')`);
    const v = new Map<string, string>((vars as any[]).map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value).toUpperCase()]));
    if (v.get('log_bin') !== 'ON') throw new UnrecoverableError('the source MySQL server has binary logging off (log_bin=OFF); start it with log_bin (log-bin=mysql-bin in my.cnf) and restart it');
    if (v.get('binlog_format') !== 'ROW') throw new UnrecoverableError(`the source MySQL server needs binlog_format=ROW (it has ${v.get('binlog_format')}); set binlog_format=ROW in my.cnf and SET GLOBAL binlog_format='ROW'`);
    if (v.get('binlog_row_image') !== 'FULL') throw new UnrecoverableError(`the source MySQL server needs binlog_row_image=FULL (it has ${v.get('binlog_row_image')}); set binlog_row_image=FULL in my.cnf and SET GLOBAL binlog_row_image='FULL'`);
    if (v.has('binlog_row_metadata') && v.get('binlog_row_metadata') !== 'FULL') {
      this.logger.info('binlog_row_metadata is not FULL: column names and keys come from information_schema', { binlogRowMetadata: v.get('binlog_row_metadata') });
    }
    const problems = await findMySqlSourceTableProblems(c, this.spec.tables);
    if (problems.length > 0) throw new UnrecoverableError(problems.join('; '));
    if (resume.position) await this.checkStillOnServer(c, resume.position);
    return { created: false };
  }

  async open(position: string | null): Promise<void> {
    const c = await this.controlConnection();
    const [[row]] = await c.query('SELECT VERSION() AS v') as any;
    this.mariaDb = isMariaDbVersion(String(row.v));
    const [colls] = await c.query('SELECT ID AS id, CHARACTER_SET_NAME AS cs FROM information_schema.COLLATIONS');
    this.collations = new Map((colls as any[]).map((r) => [Number(r.id), String(r.cs)]));
    for (const t of this.taskTables.values()) this.infoColumns.set(tableKey(t.schema, t.table), await loadTableColumns(c, t));
    let start: BinlogPosition;
    let byGtid = false;
    if (position) {
      start = parsePosition(position);
      await this.checkStillOnServer(c, position);
      // A non-empty GTID state decides where the dump starts; an empty one (no GTID logged yet) or MySQL: file:offset.
      byGtid = this.mariaDb && !!start.gtid;
      if (this.mariaDb && start.gtid === null) start.gtid = await this.gtidAt(start.file, start.offset);
    } else {
      start = await this.currentEnd();
    }
    this.startPosition = formatPosition(start);
    this.gtid = start.gtid !== null ? new GtidState(start.gtid) : null;
    this.received = { ...start };
    this.acknowledged = position ? { ...start } : null;
    this.correctStartAtGroup = byGtid;
    const [[ck]] = await c.query('SELECT @@global.binlog_checksum AS ck') as any;
    this.parser = new BinlogEventParser(this.handler(start.file), String(ck.ck).toUpperCase() === 'CRC32');
    this.parser.file = start.file;
    this.binlog = new BinlogConnection(this.spec.endpoint, {
      onEvent: (b, s, e) => this.onEventBytes(b, s, e),
      onError: (err) => this.fail(this.mapStreamError(err)),
    });
    await this.binlog.start({
      serverId: this.spec.serverId, file: start.file, offset: start.offset, heartbeatMs: HEARTBEAT_MS, mariaDb: this.mariaDb,
      gtid: byGtid ? start.gtid! : undefined,
    });
    this.lastPacketAt = Date.now();
    this.watchdog = setInterval(() => this.checkAlive(), HEARTBEAT_MS);
    this.watchdog.unref();
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
    if (this.inTransaction || this.queue.pending > 0 || this.backlog.length > 0 || !this.received) return null;
    if (this.acknowledged && comparePositions(this.received, this.acknowledged) <= 0) return null;
    return formatPosition(this.received);
  }

  async describeTable(relation: RelationInfo): Promise<TableSchema> {
    const cols = await loadTableColumns(await this.controlConnection(), { schema: relation.schema, table: relation.table });
    if (cols.length === 0) throw new Error(`source table ${relation.schema}.${relation.table} does not exist`);
    return toTableSchema(cols);
  }

  async headPosition(): Promise<string | null> {
    await this.controlConnection();
    return formatPosition(await this.currentEnd());
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
    const control = await this.controlConnection();
    const found = await findPositionAt({
      endpoint: this.spec.endpoint, serverId: this.scanServerId(), mariaDb: this.mariaDb, control, logger: this.logger,
    }, time);
    if (found === 'end') return formatPosition(await this.currentEnd());
    if (this.mariaDb) found.gtid = await this.gtidAt(found.file, found.offset);
    return formatPosition(found);
  }

  async readChunk(table: TableRef, afterKey: ColumnValue[] | null, limit: number): Promise<{ relation: RelationInfo; rows: ColumnValue[][] }> {
    const c = await this.controlConnection();
    const key = tableKey(table.schema, table.table);
    let cols = this.infoColumns.get(key);
    if (!cols || cols.length === 0) { cols = await loadTableColumns(c, table); this.infoColumns.set(key, cols); }
    if (cols.length === 0) throw new Error(`source table ${table.schema}.${table.table} does not exist`);
    const relation = this.relationFor(table.schema, table.table, cols.map((col) => ({ name: col.name, isKey: col.isKey })));
    const st = chunkStatement(table, cols, afterKey, limit);
    // execute(): the binary protocol (exact FLOAT/DOUBLE bits); plain reads take no table locks.
    const [rows] = await c.execute({ sql: st.sql, rowsAsArray: true }, st.params as (string | null)[]);
    return { relation, rows: (rows as unknown[][]).map((r) => canonicalRow(cols!, r)) };
  }

  async close(deadline: number): Promise<{ forced: boolean }> {
    this.closing = true;
    this.stopWatchdog();
    const thread = { threadId: this.binlog?.threadId ?? 0, localPort: this.binlog?.localPort ?? 0 };
    const threadId = thread.threadId;
    this.binlog?.destroy();
    this.binlog = undefined;
    let forced = false;
    if (threadId) {
      // Our socket is gone, but a dump thread only notices when it next writes: KILL it so the
      // server releases it now, then wait until PROCESSLIST no longer shows it.
      const c = await this.controlConnection();
      await killDumpThread(c, thread).catch(() => undefined);
      for (;;) {
        const [rows] = await c.query('SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ?', [threadId]);
        if ((rows as unknown[]).length === 0) break;
        if (Date.now() > deadline) { forced = true; this.logger.warn('the binlog dump thread did not go away in time', { threadId }); break; }
        await delay(20);
      }
    }
    await this.endControl();
    return { forced };
  }

  async destroy(): Promise<void> {
    this.closing = true;
    this.stopWatchdog();
    const thread = { threadId: this.binlog?.threadId ?? 0, localPort: this.binlog?.localPort ?? 0 };
    this.binlog?.destroy();
    this.binlog = undefined;
    const c = this.control;
    this.control = undefined;
    c?.destroy();
    if (thread.threadId) {
      try {
        const k = await mysql.createConnection(mysqlConnectionOptions(this.spec.endpoint));
        await killDumpThread(k, thread).catch(() => undefined);
        await k.end().catch(() => k.destroy());
      } catch (err) { this.logger.warn('could not kill the binlog dump thread', { error: err }); }
    }
  }

  // ---- the binlog stream ---------------------------------------------------------------------

  private handler(file: string): BinlogHandler {
    let currentFile = file;
    return {
      rotate: (f) => { currentFile = f; },
      heartbeat: () => undefined,
      gtid: (domain, serverId, seq, standalone, time, startOffset) => {
        if (this.correctStartAtGroup) {
          // Resumed by GTID: the server skipped to the first group after the state; where that group
          // starts is the start position's true file:offset (the checkpoint's may be stale or wrong).
          this.correctStartAtGroup = false;
          const at = { file: currentFile, offset: startOffset };
          if (this.received) this.received = { ...this.received, ...at };
          if (this.acknowledged) this.acknowledged = { ...this.acknowledged, ...at };
        }
        this.gtid?.set(domain, serverId, seq);
        // A standalone group is one DDL statement with no XID; the others are transactions.
        if (!standalone) this.beginTransaction(time);
      },
      mysqlGtid: () => undefined, // MySQL: a BEGIN query follows for transactions
      query: (schema, sql, endOffset, time) => this.onQuery(schema, sql, { file: currentFile, offset: endOffset }, time),
      xid: (endOffset, time) => this.commit({ file: currentFile, offset: endOffset }, time),
      tableMap: (map) => this.onTableMap(map),
      rows: (op, tableId, b, p, end, present, presentAfter) => this.onRows(op, tableId, b, p, end, present, presentAfter),
    };
  }

  private onEventBytes(b: Buffer, start: number, end: number): void {
    this.lastPacketAt = Date.now();
    if (this.closing || this.queue.failure) return;
    if (this.refreshing) { this.backlog.push(Buffer.from(b.subarray(start, end))); return; }
    this.parser!.parse(b, start, end);
  }

  private beginTransaction(time: number): void {
    if (this.inTransaction) return;
    this.inTransaction = true;
    this.transactionBegun = false;
    this.transactionTime = new Date(time * 1000);
  }

  private commit(at: { file: string; offset: number }, time: number): void {
    const position: BinlogPosition = { ...at, gtid: this.gtid ? this.gtid.toString() : null };
    this.received = position;
    if (this.transactionBegun) this.push({ kind: 'commit', position: formatPosition(position), commitTime: new Date(time * 1000) });
    this.inTransaction = false;
    this.transactionBegun = false;
  }

  private onQuery(schema: string, sql: string, at: { file: string; offset: number }, time: number): void {
    const head = sql.trimStart().slice(0, 16).toUpperCase();
    if (head === 'BEGIN' || head.startsWith('BEGIN ') || head.startsWith('XA START')) { this.beginTransaction(time); return; }
    if (head.startsWith('XA END')) return;
    if (head === 'COMMIT' || head.startsWith('XA COMMIT') || head === 'ROLLBACK') {
      this.commit(at, time);
      return;
    }
    if (head.startsWith('SAVEPOINT') || head.startsWith('ROLLBACK TO')) return;
    if (head.startsWith('XA PREPARE')) throw new UnrecoverableError('XA transactions in the source binlog are not supported');
    if (this.inTransaction) {
      // Row-based logging still logs some statements; DML on our tables as a statement cannot be replayed by key.
      if (/^\s*(INSERT|UPDATE|DELETE|REPLACE|LOAD)\b/i.test(sql) && [...this.taskTables.values()].some((t) => sql.toLowerCase().includes(t.table.toLowerCase()))) {
        throw new UnrecoverableError(`a change to a task table was logged as a statement, not as rows (a session with binlog_format=STATEMENT or MIXED?): ${sql.slice(0, 200)}`);
      }
      return;
    }
    this.onDdl(schema, sql, at, time);
  }

  private onDdl(schema: string, sql: string, at: { file: string; offset: number }, time: number): void {
    const position: BinlogPosition = { ...at, gtid: this.gtid ? this.gtid.toString() : null };
    this.received = position;
    const parsed = parseDdl(sql, schema);
    // A new table the job selects: it becomes a task table once information_schema shows it keyed (refreshTables).
    const created = this.spec.selects ? parsed.filter((ch) => ch.type === 'CREATETABLE' && !this.isTaskTable(ch.schema, ch.table) && this.spec.selects!({ schema: ch.schema, table: ch.table })) : [];
    for (const ch of created) this.taskTables.set(tableKey(ch.schema, ch.table), { schema: ch.schema, table: ch.table });
    const changes = parsed.filter((ch) => !created.includes(ch) && (this.isTaskTable(ch.schema, ch.table) || (ch.newTable && this.isTaskTable(ch.newTable.schema, ch.newTable.table))));
    if (changes.length === 0 && created.length === 0) return;
    const touched = new Set<string>();
    const event = (ch: SchemaChange): SourceEvent => ({ kind: 'ddl', change: ch, position: formatPosition(position), commitTime: new Date(time * 1000) });
    for (const ch of changes) {
      touched.add(tableKey(ch.schema, ch.table));
      if (ch.newTable) touched.add(tableKey(ch.newTable.schema, ch.newTable.table));
      this.push(event(ch as SchemaChange));
    }
    for (const ch of created) touched.add(tableKey(ch.schema, ch.table));
    // The next RelationInfo of these tables is a new object, built from fresh columns.
    for (const k of touched) this.relations.delete(k);
    this.refreshTables([...touched].filter((k) => this.taskTables.has(k)), created.map((ch) => event(ch as SchemaChange)));
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
        const c = await this.controlConnection();
        for (const k of keys) this.infoColumns.set(k, await loadTableColumns(c, this.taskTables.get(k)!));
        for (const ev of created) {
          if (ev.kind !== 'ddl') continue;
          const k = tableKey(ev.change.schema, ev.change.table);
          if (this.infoColumns.get(k)?.some((col) => col.isKey)) { this.push(ev); continue; }
          this.taskTables.delete(k);
          this.logger.warn('a new source table matches the task but has no primary key; it is left alone', { table: `${ev.change.schema}.${ev.change.table}` });
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

  private onTableMap(map: TableMap): void {
    if (!this.isTaskTable(map.schema, map.table)) { this.tableMaps.delete(map.id); return; }
    this.resolveColumns(map);
    const names = map.columns.map((c) => c.name!);
    const keys = new Set(map.primaryKey ?? []);
    const info = this.infoColumns.get(tableKey(map.schema, map.table)) ?? [];
    const columns = names.map((name, i) => ({ name, isKey: map.primaryKey ? keys.has(i) : info.find((c) => c.name === name)?.isKey ?? false }));
    this.tableMaps.set(map.id, { map, relation: this.relationFor(map.schema, map.table, columns) });
  }

  /** Fills in what the TABLE_MAP's optional metadata left out, from information_schema. */
  private resolveColumns(map: TableMap): void {
    const info = this.infoColumns.get(tableKey(map.schema, map.table)) ?? [];
    const needInfo = map.columns.some((c) => c.name === null) || !map.hasSignedness
      || map.columns.some((c) => (c.type === T.ENUM || c.type === T.SET) && c.enumValues === null);
    if (needInfo && info.length !== map.columns.length) {
      throw new UnrecoverableError(`${map.schema}.${map.table}: the binlog has ${map.columns.length} columns but information_schema ${info.length}, `
        + 'and the binlog carries no column names; set binlog_row_metadata=FULL on the source');
    }
    map.columns.forEach((c, i) => {
      const ic = info[i];
      if (c.name === null) c.name = ic.name;
      if (!map.hasSignedness && ic) c.unsigned = /\bunsigned\b/i.test(ic.columnType);
      if (c.enumValues === null && ic && (ic.logical.kind === 'enum' || ic.logical.kind === 'set')) c.enumValues = ic.logical.values;
      if (c.collation >= 0) c.charset = c.collation === 63 ? 'binary' : this.collations.get(c.collation) ?? null;
      else c.charset = info.find((x) => x.name === c.name)?.charset ?? null;
    });
  }

  private onRows(op: RowOp, tableId: number, b: Buffer, p: number, end: number, present: Buffer, presentAfter: Buffer): void {
    const mapped = this.tableMaps.get(tableId);
    if (!mapped || !mapped.relation) return; // not a task table
    const { map, relation } = mapped;
    if (!this.transactionBegun) {
      this.beginTransaction(Math.floor(Date.now() / 1000));
      this.transactionBegun = true;
      this.push({ kind: 'begin', commitTime: this.transactionTime });
    }
    const cur = { p };
    while (cur.p < end) {
      const first = decodeRow(b, cur, map, present);
      if (op === 'insert') this.push({ kind: 'change', change: { op, relation, values: first } });
      else if (op === 'delete') this.push({ kind: 'change', change: { op, relation, oldKey: first } });
      else this.push({ kind: 'change', change: { op, relation, oldKey: first, values: decodeRow(b, cur, map, presentAfter) } });
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** The same RelationInfo object while the table's column names and keys stay the same. */
  private relationFor(schema: string, table: string, columns: { name: string; isKey: boolean }[]): RelationInfo {
    const key = tableKey(schema, table);
    const signature = JSON.stringify(columns);
    const known = this.relations.get(key);
    if (known && known.signature === signature) return known.relation;
    const relation: RelationInfo = { id: known?.relation.id ?? this.nextRelationId++, schema, table, columns };
    this.relations.set(key, { relation, signature });
    return relation;
  }

  private isTaskTable(schema: string, table: string): boolean {
    return this.taskTables.has(tableKey(schema, table));
  }

  private push(ev: SourceEvent): void {
    this.queue.push(ev);
  }

  private resumeReading(): void {
    if (this.binlog?.isPaused) { this.lastPacketAt = Date.now(); this.binlog.resume(); }
  }

  private fail(err: Error): void {
    if (this.closing) return;
    this.stopWatchdog();
    this.queue.fail(err);
  }

  /** Heartbeats arrive every HEARTBEAT_MS while idle; silence while we read means the server is gone. */
  private checkAlive(): void {
    if (!this.binlog || this.binlog.isPaused || this.refreshing) { this.lastPacketAt = Date.now(); return; }
    if (Date.now() - this.lastPacketAt > DEAD_AFTER_MS) {
      this.binlog.destroy();
      this.fail(new Error(`no binlog event or heartbeat from the MySQL server for ${DEAD_AFTER_MS} ms; the connection is presumed dead`));
    }
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private mapStreamError(err: Error & { errno?: number }): Error {
    if (err instanceof UnrecoverableError) return err;
    if (err.errno === 1236) {
      if (/server_id|server_uuid/i.test(err.message)) {
        // Another dump with our server_id took over (a newer owner of the task): transient for us.
        return new Error(`the binlog dump was taken over by another reader with server_id ${this.spec.serverId}: ${err.message}`);
      }
      return this.purgedError(this.startPosition ?? '(unknown)', err.message);
    }
    return err;
  }

  private purgedError(position: string, detail: string): UnrecoverableError {
    return new UnrecoverableError(`the source MySQL server no longer has the binlog the task's checkpoint ${position} points into (purged or expired: ${detail}), `
      + `so the changes made since then cannot be recovered. ${RETENTION_ADVICE}`);
  }

  /**
   * The purge check of prepare() and open(). Resuming by GTID (MariaDB, non-empty state): decided
   * by the GTID state alone, with a probe dump that starts as the real one will (error 1236 ->
   * purged); the position's file may be gone or wrong as long as the state is found in a binlog
   * still on the server. Otherwise (empty state, `file:` position, MySQL): the file must be among
   * SHOW BINARY LOGS.
   */
  private async checkStillOnServer(c: mysql.Connection, position: string): Promise<void> {
    const p = parsePosition(position);
    if (this.mariaDb && p.gtid) {
      const problem = await gtidStartProblem({ endpoint: this.spec.endpoint, serverId: this.scanServerId(), mariaDb: true, control: c, logger: this.logger }, p.gtid);
      if (problem !== null) throw this.purgedError(position, `its GTID state ${p.gtid} is in none of the binlogs still on the server: ${problem}`);
      return;
    }
    const [logs] = await c.query('SHOW BINARY LOGS');
    const files = (logs as any[]).map((r) => String(r.Log_name));
    if (!files.includes(p.file)) throw this.purgedError(position, `${p.file} is not among SHOW BINARY LOGS, which starts at ${files[0] ?? 'nothing'}`);
  }

  /** For short-lived scan/probe dumps. Not the task's server_id: a second dump with the same id would drop the task's stream. */
  private scanServerId(): number {
    return (this.spec.serverId + 0x8000_0000) >>> 0;
  }

  private async currentEnd(): Promise<BinlogPosition> {
    const c = await this.controlConnection();
    const [[st]] = await c.query('SHOW MASTER STATUS') as any;
    if (!st) throw new UnrecoverableError('the source MySQL server has binary logging off (SHOW MASTER STATUS is empty); enable log_bin');
    const file = String(st.File), offset = Number(st.Position);
    return { file, offset, gtid: this.mariaDb ? await this.gtidAt(file, offset) : null };
  }

  /** MariaDB: the GTID state at file:offset (seeds the per-domain state when starting mid-file). */
  private async gtidAt(file: string, offset: number): Promise<string> {
    const c = await this.controlConnection();
    const [[r]] = await c.query('SELECT BINLOG_GTID_POS(?, ?) AS g', [file, offset]) as any;
    return r?.g === null || r?.g === undefined ? '' : String(r.g);
  }

  private async controlConnection(): Promise<mysql.Connection> {
    if (!this.control) {
      const c = await mysql.createConnection(mysqlConnectionOptions(this.spec.endpoint));
      c.on('error', (err: Error) => this.fail(err));
      for (const s of SESSION_SETUP) await c.query(s);
      const [[row]] = await c.query('SELECT VERSION() AS v') as any;
      this.mariaDb = isMariaDbVersion(String(row.v));
      this.control = c;
    }
    return this.control;
  }

  private async endControl(): Promise<void> {
    const c = this.control;
    this.control = undefined;
    await c?.end().catch(() => c.destroy());
  }
}
