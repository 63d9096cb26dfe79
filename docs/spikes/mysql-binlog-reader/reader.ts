/**
 * Spike: a minimal MariaDB/MySQL binlog reader on mysql2's connection (auth, packet framing,
 * large-packet reassembly, pause/resume) with our own COM_BINLOG_DUMP command and event decoder.
 */
import mysql from 'mysql2';
import zlib from 'node:zlib';
import { decodeRow, parseTableMap, type TableMap, type Value } from './decode.ts';

export type ReaderEvent =
  | { kind: 'begin'; gtid: string | null; time: number }
  | { kind: 'rows'; op: 'insert' | 'update' | 'delete'; table: TableMap; rows: Value[][] }
  | { kind: 'commit'; file: string; pos: number; gtid: string | null; gtidState: string; time: number }
  | { kind: 'ddl'; schema: string; sql: string; file: string; pos: number; gtid: string | null; gtidState: string }
  | { kind: 'heartbeat'; file: string; pos: number };

export interface ReaderOptions {
  conn: mysql.ConnectionOptions;
  serverId: number;
  /** `gtid:0-1-42[,1-2-7]` or `file:mysql-bin.000003:1234` or null: from the current end. */
  from: string | null;
  onEvent: (e: ReaderEvent) => void;
  onError: (e: Error) => void;
  heartbeatMs?: number;
  verifyChecksum?: boolean;
}

const EV = {
  QUERY: 2, STOP: 3, ROTATE: 4, XID: 16, FORMAT_DESCRIPTION: 15, TABLE_MAP: 19,
  WRITE_V1: 23, UPDATE_V1: 24, DELETE_V1: 25, WRITE_V2: 30, UPDATE_V2: 31, DELETE_V2: 32,
  HEARTBEAT: 27, MARIA_ANNOTATE_ROWS: 160, MARIA_BINLOG_CHECKPOINT: 161, MARIA_GTID: 162, MARIA_GTID_LIST: 163,
  MARIA_WRITE_COMPRESSED_V1: 166, MARIA_DELETE_COMPRESSED_V1: 171,
} as const;
const FL_STANDALONE = 1;
const FL_GROUP_COMMIT_ID = 2;

export class BinlogReader {
  private conn: any;
  private tables = new Map<number, TableMap>();
  private checksum = 4;
  private file = '';
  private gtidState = new Map<number, string>(); // domain -> 'd-s-n'
  private curGtid: string | null = null;
  private inTx = false;
  private standalone = false;
  threadId = 0;
  stopped = false;
  events = 0;

  constructor(private readonly o: ReaderOptions) {}

  async start(): Promise<void> {
    const c = mysql.createConnection({ ...this.o.conn, dateStrings: true });
    this.conn = c;
    const q = (sql: string, p?: unknown[]) => new Promise<any>((res, rej) => c.query(sql, p, (e: any, r: any) => (e ? rej(e) : res(r))));
    c.on('error', (e: Error) => { if (!this.stopped) this.o.onError(e); });
    await q('SELECT 1');
    this.threadId = c.threadId;
    const [{ v }] = await q('SELECT VERSION() AS v');
    const maria = /mariadb/i.test(v);
    await q(`SET @master_binlog_checksum = @@global.binlog_checksum`);
    await q(`SET @master_heartbeat_period = ?`, [Math.round((this.o.heartbeatMs ?? 1000) * 1e6)]);
    let file = '', pos = 4;
    const from = this.o.from;
    if (maria) await q('SET @mariadb_slave_capability = 4'); // real GTID events, no fake BEGIN
    if (from?.startsWith('gtid:')) {
      if (!maria) throw new Error('spike: MySQL GTID sets need COM_BINLOG_DUMP_GTID');
      const state = from.slice(5);
      for (const g of state.split(',').filter(Boolean)) this.gtidState.set(Number(g.split('-')[0]), g);
      await q('SET @slave_connect_state = ?', [state]);
      await q('SET @slave_gtid_strict_mode = 1');
    } else if (from?.startsWith('file:')) {
      const i = from.lastIndexOf(':');
      file = from.slice(5, i); pos = Number(from.slice(i + 1));
    } else {
      const [st] = await q('SHOW MASTER STATUS');
      file = st.File; pos = Number(st.Position);
      if (maria) for (const g of String((await q('SELECT @@gtid_binlog_pos AS g'))[0].g).split(',').filter(Boolean)) this.gtidState.set(Number(g.split('-')[0]), g);
    }
    await new Promise<void>((res, rej) => c._registerSlave({ serverId: this.o.serverId }, (e: any) => (e ? rej(e) : res())));
    // COM_BINLOG_DUMP: [0x12][pos u32][flags u16][server id u32][file name]
    const name = Buffer.from(file);
    const cmd = {
      next: null as any,
      onResult: (e: Error) => { if (!this.stopped) this.o.onError(e); },
      execute: (packet: any, connection: any): boolean => {
        if (!cmd.next) {
          connection._resetSequenceId();
          const b = Buffer.alloc(4 + 11 + name.length);
          b.writeUIntLE(b.length - 4, 0, 3); b[3] = 0;
          b[4] = 0x12; b.writeUInt32LE(pos, 5); b.writeUInt16LE(0, 9); b.writeUInt32LE(this.o.serverId, 11); name.copy(b, 15);
          connection.write(b);
          connection.sequenceId = 1;
          cmd.next = true;
          return false;
        }
        const buf: Buffer = packet.buffer;
        const start: number = packet.offset, end: number = packet.end;
        const marker = buf[start];
        if (marker === 0xff) { this.o.onError(packet.asError(connection.clientEncoding)); return true; }
        if (marker === 0xfe && end - start < 13) return true; // EOF (non-blocking dump only)
        this.onEventBytes(buf, start + 1, end);
        return false;
      },
    };
    c.addCommand(cmd);
  }

  pause(): void { this.conn.pause(); }
  resume(): void { this.conn.resume(); }

  /** Close our socket, then KILL the dump thread so the server releases it at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.conn.destroy();
    const k = mysql.createConnection(this.o.conn);
    await new Promise<void>((res) => k.query(`KILL CONNECTION ${this.threadId}`, () => res()));
    await new Promise<void>((res) => k.end(() => res()));
  }

  private gtidString(): string { return [...this.gtidState.values()].join(','); }

  private onEventBytes(b: Buffer, p: number, end: number): void {
    if (this.stopped) return;
    this.events++;
    const time = b.readUInt32LE(p);
    const type = b[p + 4];
    const size = b.readUInt32LE(p + 9);
    const logPos = b.readUInt32LE(p + 13);
    if (p + size !== end) throw new Error(`event size ${size} != packet ${end - p}`);
    if (type === EV.FORMAT_DESCRIPTION) {
      // the FDE names the checksum algorithm in the byte before its own CRC
      const alg = b[end - 5];
      this.checksum = alg === 1 ? 4 : 0;
    }
    let bodyEnd = end - this.checksum;
    if (this.checksum && this.o.verifyChecksum !== false) {
      const want = b.readUInt32LE(bodyEnd);
      if ((zlib as any).crc32(b.subarray(p, bodyEnd)) !== want) throw new Error(`binlog event CRC32 mismatch at ${this.file}:${logPos}`);
    }
    const body = p + 19;
    switch (type) {
      case EV.ROTATE:
        this.file = b.toString('latin1', body + 8, bodyEnd);
        return;
      case EV.FORMAT_DESCRIPTION:
        return;
      case EV.HEARTBEAT:
        if (!this.inTx) this.o.onEvent({ kind: 'heartbeat', file: b.toString('latin1', body, bodyEnd), pos: logPos });
        return;
      case EV.MARIA_GTID: {
        const seq = b.readBigUInt64LE(body);
        const domain = b.readUInt32LE(body + 8);
        const flags = b[body + 12];
        this.curGtid = `${domain}-${b.readUInt32LE(p + 5)}-${seq}`;
        this.gtidState.set(domain, this.curGtid);
        this.inTx = true;
        this.standalone = (flags & FL_STANDALONE) !== 0;
        void FL_GROUP_COMMIT_ID;
        if (!this.standalone) this.o.onEvent({ kind: 'begin', gtid: this.curGtid, time });
        return;
      }
      case EV.QUERY: {
        const dbLen = b[body + 8];
        const statusLen = b.readUInt16LE(body + 11);
        const dbStart = body + 13 + statusLen;
        const schema = b.toString('utf8', dbStart, dbStart + dbLen);
        const sql = b.toString('utf8', dbStart + dbLen + 1, bodyEnd);
        if (sql === 'BEGIN') { this.inTx = true; this.o.onEvent({ kind: 'begin', gtid: null, time }); return; }
        if (sql === 'COMMIT' || sql === 'ROLLBACK') { this.commit(logPos, time); return; }
        // A standalone event group (DDL) ends with this statement.
        this.inTx = false;
        this.tables.clear();
        this.o.onEvent({ kind: 'ddl', schema, sql, file: this.file, pos: logPos, gtid: this.curGtid, gtidState: this.gtidString() });
        return;
      }
      case EV.XID:
        this.commit(logPos, time);
        return;
      case EV.TABLE_MAP: {
        const t = parseTableMap(b, body, bodyEnd);
        this.tables.set(t.id, t);
        return;
      }
      case EV.WRITE_V1: case EV.UPDATE_V1: case EV.DELETE_V1:
      case EV.WRITE_V2: case EV.UPDATE_V2: case EV.DELETE_V2:
        this.rows(type, b, body, bodyEnd);
        return;
      default:
        if (type >= EV.MARIA_WRITE_COMPRESSED_V1 && type <= EV.MARIA_DELETE_COMPRESSED_V1) throw new Error('compressed row events (log_bin_compress=ON) are not supported');
        return; // GTID_LIST, BINLOG_CHECKPOINT, ANNOTATE_ROWS, INTVAR, ...
    }
  }

  private commit(logPos: number, time: number): void {
    this.inTx = false;
    this.o.onEvent({ kind: 'commit', file: this.file, pos: logPos, gtid: this.curGtid, gtidState: this.gtidString(), time });
  }

  private rows(type: number, b: Buffer, p: number, end: number): void {
    const v2 = type >= EV.WRITE_V2;
    const op = (type === EV.WRITE_V1 || type === EV.WRITE_V2) ? 'insert' : (type === EV.UPDATE_V1 || type === EV.UPDATE_V2) ? 'update' : 'delete';
    const tableId = b.readUIntLE(p, 6);
    p += 8; // table id, flags
    if (v2) p += b.readUInt16LE(p); // extra data length includes its own two bytes
    const t = this.tables.get(tableId);
    if (!t) throw new Error(`row event for unknown table id ${tableId}`);
    const [n, q] = lenenc(b, p); p = q;
    const bmLen = (n + 7) >> 3;
    const present = b.subarray(p, p + bmLen); p += bmLen;
    let presentAfter = present;
    if (op === 'update') { presentAfter = b.subarray(p, p + bmLen); p += bmLen; }
    const rows: Value[][] = [];
    const cur = { p };
    while (cur.p < end) {
      rows.push(decodeRow(b, cur, t, present));
      if (op === 'update') rows.push(decodeRow(b, cur, t, presentAfter));
    }
    this.o.onEvent({ kind: 'rows', op, table: t, rows });
  }
}

export function lenenc(b: Buffer, p: number): [number, number] {
  const f = b[p];
  if (f < 0xfb) return [f, p + 1];
  if (f === 0xfc) return [b.readUInt16LE(p + 1), p + 3];
  if (f === 0xfd) return [b.readUIntLE(p + 1, 3), p + 4];
  return [Number(b.readBigUInt64LE(p + 1)), p + 9];
}
