/**
 * Turns binlog callbacks (binlog-events.ts) into the source events of change-source.ts: whole
 * transactions of the task's tables (`begin`, `change`s, `commit{position}`), and DDL statements on
 * them as `ddl` events. Transactions that touch none of our tables are not delivered, but still
 * move `received`, the position just past the last whole transaction or DDL seen. Positions exist
 * only at transaction boundaries (position.ts), so a resume always replays whole transactions.
 *
 * Pure state over callbacks: no I/O (tests feed it recorded event bytes through BinlogEventParser).
 */
import { UNCHANGED, type ColumnValue, type RelationInfo, type SchemaChange, type SourceEvent } from '../../change-event.ts';
import { UnrecoverableError } from '../../errors.ts';
import type { BinlogHandler, RowOp } from './binlog-events.ts';
import { dmlTables, parseDdl } from './ddl-parser.ts';
import { formatPosition, GtidState, type BinlogPosition } from './position.ts';
import { decodeRow } from './row-decoder.ts';
import { needFullRowImage, needRowFormat } from './server-settings.ts';
import { tableKey, type ParentTable, type SourceTables } from './source-tables.ts';
import type { TableMap } from './table-map.ts';

function absent(relation: RelationInfo, values: ColumnValue[]): string[] {
  return relation.columns.flatMap((c, i) => (values[i] === UNCHANGED ? [c.name] : []));
}

/** A row image without what the target needs: its values are not in the binlog at all. */
function partialImage(relation: RelationInfo, what: string, columns: string[]): Error {
  return needFullRowImage(`${what} on ${relation.schema}.${relation.table} was logged without column(s) ${columns.join(', ')}, `
    + 'so binlog_row_image was MINIMAL or NOBLOB for the writing session', true);
}

export interface TransactionOutput {
  emit(ev: SourceEvent): void;
  /** Something the operator must know that does not stop the stream (the task's event log). */
  warn(code: string, detail: string, table: string): void;
  /**
   * DDL changed these task tables (tableKey): their columns must be re-read before later events.
   * `created`: the CREATE TABLE events of tables just adopted by the job's selection, to deliver
   * once their columns are known to have a key.
   */
  ddlTouched(keys: string[], created: SourceEvent[]): void;
}

export class BinlogTransactions implements BinlogHandler {
  /** Just past the last whole transaction / DDL seen, delivered or filtered. */
  received: BinlogPosition;
  private file: string;
  private readonly gtidState: GtidState | null;
  private open = false;
  /** Cascading foreign keys warned about in the current transaction. */
  private readonly warned = new Set<string>();
  private begun = false;
  private time = new Date(0);
  /** Resumed by GTID: the start's file:offset is corrected from the stream at the first event group. */
  private correctStartAtGroup: boolean;
  /** Called with the true file:offset of a GTID resume's start (see correctStartAtGroup). */
  onStartCorrected: ((at: { file: string; offset: number }) => void) | undefined;

  constructor(private readonly tables: SourceTables, private readonly out: TransactionOutput, start: BinlogPosition, byGtid: boolean) {
    this.received = { ...start };
    this.file = start.file;
    this.gtidState = start.gtid !== null ? new GtidState(start.gtid) : null;
    this.correctStartAtGroup = byGtid;
  }

  /** A transaction has begun and not yet committed. */
  get inTransaction(): boolean { return this.open; }

  rotate(file: string): void { this.file = file; }

  /** The last position the server reported in a heartbeat (the end of the last event it sent). */
  reported: { file: string; offset: number } | null = null;

  heartbeat(file: string, logPos: number): void {
    this.reported = { file, offset: logPos };
  }

  gtid(domain: number, serverId: number, seq: bigint, standalone: boolean, time: number, startOffset: number): void {
    if (this.correctStartAtGroup) {
      // Resumed by GTID: the server skipped to the first group after the state; where that group
      // starts is the start position's true file:offset (the checkpoint's may be stale or wrong).
      this.correctStartAtGroup = false;
      const at = { file: this.file, offset: startOffset };
      this.received = { ...this.received, ...at };
      this.onStartCorrected?.(at);
    }
    this.gtidState?.set(domain, serverId, seq);
    // A standalone group is one DDL statement with no XID; the others are transactions.
    if (!standalone) this.begin(time);
  }

  /** MySQL: a BEGIN query follows for transactions. */
  mysqlGtid(): void {}

  query(schema: string, sql: string, endOffset: number, time: number): void {
    const at = { file: this.file, offset: endOffset };
    const head = sql.trimStart().slice(0, 16).toUpperCase();
    if (head === 'BEGIN' || head.startsWith('BEGIN ') || head.startsWith('XA START')) { this.begin(time); return; }
    if (head.startsWith('XA END')) return;
    if (head === 'COMMIT' || head.startsWith('XA COMMIT') || head === 'ROLLBACK') {
      this.commit(at, time);
      return;
    }
    if (head.startsWith('SAVEPOINT') || head.startsWith('ROLLBACK TO')) return;
    if (head.startsWith('XA PREPARE')) throw new UnrecoverableError('XA transactions in the source binlog are not supported');
    // DML on our tables logged as a statement (binlog_format STATEMENT or MIXED, globally or in the
    // writing session) cannot be replayed by key: fail, never skip it.
    const dml = dmlTables(sql, schema);
    if (dml) {
      const table = dml.tables.find((t) => this.tables.isTaskTable(t.schema, t.table));
      if (table) throw needRowFormat(`${dml.verb} on ${table.schema}.${table.table} was logged as a statement, not as rows: ${sql.slice(0, 200)}`, true);
      return;
    }
    if (this.open) return; // other statements inside a transaction: not schema changes
    this.ddl(schema, sql, at, time);
  }

  xid(endOffset: number, time: number): void {
    this.commit({ file: this.file, offset: endOffset }, time);
  }

  tableMap(map: TableMap): void {
    this.tables.onTableMap(map);
  }

  rows(op: RowOp, tableId: number, b: Buffer, p: number, end: number, present: Buffer, presentAfter: Buffer): void {
    const parent = this.tables.parentOf(tableId);
    if (parent && op !== 'insert') this.checkCascades(op, parent, b, p, end, present, presentAfter);
    const mapped = this.tables.mapped(tableId);
    if (!mapped) return; // not a task table
    const { map, relation, oldColumns } = mapped;
    if (!this.begun) {
      this.begin(Math.floor(Date.now() / 1000));
      this.begun = true;
      this.out.emit({ kind: 'begin', commitTime: this.time });
    }
    const cur = { p };
    // The key columns, once per event rather than per row (the profile showed these arrays).
    const keys = op === 'insert' ? [] : relation.columns.flatMap((c, i) => (c.isKey ? [i] : []));
    while (cur.p < end) {
      // The before image: only the columns changes carry (SourceTables oldColumns), so an update or
      // delete costs no strings for values nothing reads.
      const first = decodeRow(b, cur, map, present, op === 'insert' ? undefined : oldColumns);
      if (op === 'insert') {
        if (first.includes(UNCHANGED)) throw partialImage(relation, 'an insert', absent(relation, first));
        this.out.emit({ kind: 'change', change: { op, relation, values: first } });
        continue;
      }
      // The before image finds the row: it must hold the key (MINIMAL logs just that).
      let keyMissing = false;
      for (const i of keys) if (first[i] === UNCHANGED) keyMissing = true;
      if (keyMissing) {
        const missing = keys.filter((i) => first[i] === UNCHANGED);
        throw partialImage(relation, `the before image of ${op === 'delete' ? 'a delete' : 'an update'}`, missing.map((i) => relation.columns[i].name));
      }
      if (op === 'delete') { this.out.emit({ kind: 'change', change: { op, relation, oldKey: first } }); continue; }
      // Columns the after image leaves out were not changed (MINIMAL: only the columns the statement
      // set; NOBLOB: not the unchanged BLOB/TEXT ones): UNCHANGED, never written. A key column left
      // out kept its value: take it from the before image, so the change names its row.
      const values = decodeRow(b, cur, map, presentAfter);
      for (const i of keys) if (values[i] === UNCHANGED) values[i] = first[i];
      this.out.emit({ kind: 'change', change: { op, relation, oldKey: first, values } });
    }
  }

  /**
   * A delete, or an update of the referenced columns, of a parent whose foreign key cascades into
   * a task table: what the cascade did is not in the binlog. Warned once per transaction and key.
   */
  private checkCascades(op: RowOp, parent: ParentTable, b: Buffer, p: number, end: number, present: Buffer, presentAfter: Buffer): void {
    let changedColumns: Set<string> | null = null; // null: unknown (no column names, or not decodable): assume the worst
    if (op === 'update' && parent.map.columns.every((c) => c.name !== null)) {
      try {
        changedColumns = new Set();
        for (const cur = { p }; cur.p < end;) {
          const before = decodeRow(b, cur, parent.map, present), after = decodeRow(b, cur, parent.map, presentAfter);
          parent.map.columns.forEach((c, i) => { if (after[i] !== UNCHANGED && after[i] !== before[i]) changedColumns!.add(c.name!); });
        }
      } catch { changedColumns = null; }
    }
    for (const { child, key } of parent.links) {
      const rule = op === 'delete' ? key.onDelete : key.onUpdate;
      if (!rule || this.warned.has(key.constraint)) continue;
      if (changedColumns && !key.parentColumns.some((c) => changedColumns!.has(c))) continue;
      this.warned.add(key.constraint);
      const parentName = `${parent.map.schema}.${parent.map.table}`, childName = `${child.schema}.${child.table}`;
      this.out.warn('FK_CASCADE_NOT_LOGGED', `${op === 'delete' ? 'a delete from' : 'an update of'} ${parentName} may have changed rows of ${childName} through foreign key `
        + `${key.constraint} (ON ${op === 'delete' ? 'DELETE' : 'UPDATE'} ${rule}); the server does not write what a cascade does to the binlog, so the target's `
        + `${childName} may keep rows or values the source no longer has. Resynchronize the task (TerminateDISyncInstance, then Start) or avoid cascading foreign keys on synced tables.`, childName);
    }
  }

  private begin(time: number): void {
    if (this.open) return;
    this.warned.clear();
    this.open = true;
    this.begun = false;
    this.time = new Date(time * 1000);
  }

  private commit(at: { file: string; offset: number }, time: number): void {
    const position = this.positionAt(at);
    this.received = position;
    if (this.begun) this.out.emit({ kind: 'commit', position: formatPosition(position), commitTime: new Date(time * 1000) });
    this.open = false;
    this.begun = false;
  }

  private ddl(schema: string, sql: string, at: { file: string; offset: number }, time: number): void {
    const touched = new Set<string>();
    const changes: SchemaChange[] = [];
    const created: SchemaChange[] = [];
    for (const ch of parseDdl(sql, schema)) {
      if (ch.type === 'CREATETABLE' && this.tables.adoptIfSelected(ch.schema, ch.table)) {
        created.push(ch);
        touched.add(tableKey(ch.schema, ch.table));
        continue;
      }
      if (ch.type === 'RENAMETABLE' && ch.newTable) {
        // The task follows a renamed table (source-tables.ts); the event names the target table it had.
        const target = this.tables.follow(ch, ch.newTable);
        if (target) {
          changes.push({ ...ch, ...target });
          touched.add(tableKey(ch.schema, ch.table)).add(tableKey(ch.newTable.schema, ch.newTable.table));
          continue;
        }
      }
      if (this.tables.isTaskTable(ch.schema, ch.table)) {
        changes.push({ ...ch, ...this.tables.targetOf(ch.schema, ch.table) });
        touched.add(tableKey(ch.schema, ch.table));
      } else if (ch.newTable && this.tables.isTaskTable(ch.newTable.schema, ch.newTable.table)) {
        changes.push(ch); // another table renamed to a task table's name
        touched.add(tableKey(ch.newTable.schema, ch.newTable.table));
      }
    }
    // After the statement (renames included): where a resume goes on.
    const position = this.positionAt(at);
    this.received = position;
    if (changes.length === 0 && created.length === 0) return;
    const event = (change: SchemaChange): SourceEvent => ({ kind: 'ddl', change, position: formatPosition(position), commitTime: new Date(time * 1000) });
    for (const change of changes) this.out.emit(event(change));
    this.tables.forgetRelations(touched);
    this.out.ddlTouched([...touched].filter((k) => this.tables.isTaskKey(k)), created.map(event));
  }

  private positionAt(at: { file: string; offset: number }): BinlogPosition {
    const renamed = this.tables.renames();
    return { ...at, gtid: this.gtidState ? this.gtidState.toString() : null, ...(renamed.length ? { renamed } : {}) };
  }
}
