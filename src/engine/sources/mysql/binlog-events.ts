/**
 * Binlog event framing: the 19-byte common header, the CRC32 trailer (algorithm from
 * FORMAT_DESCRIPTION), and the events a change source needs, handed on as calls. Everything
 * else (ANNOTATE_ROWS, GTID_LIST, BINLOG_CHECKPOINT, INTVAR, ...) is skipped; what we cannot
 * represent faithfully (compressed or partial row events, MySQL transaction payloads) fails loudly.
 */
import zlib from 'node:zlib';
import { UnrecoverableError } from '../../errors.ts';
import { parseTableMap, type TableMap } from './table-map.ts';

export const EV = {
  QUERY: 2, ROTATE: 4, FORMAT_DESCRIPTION: 15, XID: 16, TABLE_MAP: 19,
  WRITE_V1: 23, UPDATE_V1: 24, DELETE_V1: 25, HEARTBEAT: 27,
  MYSQL_GTID: 33, MYSQL_ANONYMOUS_GTID: 34, PARTIAL_UPDATE_ROWS: 39, TRANSACTION_PAYLOAD: 40,
  WRITE_V2: 30, UPDATE_V2: 31, DELETE_V2: 32,
  MARIA_GTID: 162, MARIA_WRITE_COMPRESSED_V1: 166, MARIA_DELETE_COMPRESSED_V1: 171,
  MARIA_QUERY_COMPRESSED: 165,
} as const;

export type RowOp = 'insert' | 'update' | 'delete';

export interface BinlogHandler {
  /** A new binlog file (also the artificial ROTATE at dump start). */
  rotate(file: string): void;
  /**
   * MariaDB GTID event: starts an event group; `standalone` groups are a single DDL with no XID.
   * `startOffset`: where the event (and so the group) starts in the current file.
   */
  gtid(domain: number, serverId: number, seq: bigint, standalone: boolean, time: number, startOffset: number): void;
  /** MySQL GTID / anonymous GTID event: starts a transaction. */
  mysqlGtid(time: number): void;
  query(schema: string, sql: string, endOffset: number, time: number): void;
  xid(endOffset: number, time: number): void;
  tableMap(t: TableMap): void;
  /** Row event body: the rows are `b[p..end)` after the columns bitmap(s), decoded only if wanted. */
  rows(op: RowOp, tableId: number, b: Buffer, p: number, end: number, present: Buffer, presentAfter: Buffer): void;
  /** The server is idle; `file`:`logPos`: the end of the last event it has sent (its dump's coordinates). */
  heartbeat(file: string, logPos: number): void;
}

export function lenenc(b: Buffer, p: number): [number, number] {
  const f = b[p];
  if (f < 0xfb) return [f, p + 1];
  if (f === 0xfc) return [b.readUInt16LE(p + 1), p + 3];
  if (f === 0xfd) return [b.readUIntLE(p + 1, 3), p + 4];
  return [Number(b.readBigUInt64LE(p + 1)), p + 9];
}

export class BinlogEventParser {
  private checksum: number;
  file = '';
  /** Where the last real (not artificial, not heartbeat) event parsed ends: `file`:`lastEnd`; 0 before one. */
  lastEnd = 0;

  /**
   * `crc32`: the server's @@global.binlog_checksum is CRC32. Needed before the first
   * FORMAT_DESCRIPTION: the artificial ROTATE that opens a dump already carries a checksum.
   */
  constructor(private readonly h: BinlogHandler, crc32: boolean) {
    this.checksum = crc32 ? 4 : 0;
  }

  /** One event at `b[p..end)`. */
  parse(b: Buffer, p: number, end: number): void {
    const time = b.readUInt32LE(p);
    const type = b[p + 4];
    const serverId = b.readUInt32LE(p + 5);
    const size = b.readUInt32LE(p + 9);
    const logPos = b.readUInt32LE(p + 13);
    if (p + size !== end) throw new Error(`binlog event size ${size} does not match its packet (${end - p} bytes)`);
    // FORMAT_DESCRIPTION names the checksum algorithm in the byte just before its own CRC.
    if (type === EV.FORMAT_DESCRIPTION) this.checksum = b[end - 5] === 1 ? 4 : 0;
    const bodyEnd = end - this.checksum;
    if (this.checksum && zlib.crc32(b.subarray(p, bodyEnd)) !== b.readUInt32LE(bodyEnd)) {
      throw new Error(`binlog event CRC32 mismatch at ${this.file}:${logPos}`);
    }
    const body = p + 19;
    if (logPos !== 0 && type !== EV.HEARTBEAT) this.lastEnd = logPos;
    switch (type) {
      case EV.ROTATE:
        // [position u64][file name]: reading goes on at file:position.
        this.file = b.toString('latin1', body + 8, bodyEnd);
        this.lastEnd = Number(b.readBigUInt64LE(body));
        this.h.rotate(this.file);
        return;
      case EV.HEARTBEAT:
        // The body names the binlog file (MariaDB/MySQL: no checksum is counted in a heartbeat's name).
        this.h.heartbeat(b.toString('latin1', body, bodyEnd).replace(/\0+$/, ''), logPos);
        return;
      case EV.MARIA_GTID: {
        const seq = b.readBigUInt64LE(body);
        const domain = b.readUInt32LE(body + 8);
        const flags = b[body + 12];
        this.h.gtid(domain, serverId, seq, (flags & 1) !== 0, time, logPos - size);
        return;
      }
      case EV.MYSQL_GTID: case EV.MYSQL_ANONYMOUS_GTID:
        this.h.mysqlGtid(time);
        return;
      case EV.QUERY: {
        // [thread id u32][exec time u32][db len u8][error code u16][status vars len u16][status vars][db][0][sql]
        const dbLen = b[body + 8];
        const statusLen = b.readUInt16LE(body + 11);
        const dbStart = body + 13 + statusLen;
        this.h.query(b.toString('utf8', dbStart, dbStart + dbLen), b.toString('utf8', dbStart + dbLen + 1, bodyEnd), logPos, time);
        return;
      }
      case EV.XID:
        this.h.xid(logPos, time);
        return;
      case EV.TABLE_MAP:
        this.h.tableMap(parseTableMap(b, body, bodyEnd));
        return;
      case EV.WRITE_V1: case EV.UPDATE_V1: case EV.DELETE_V1:
      case EV.WRITE_V2: case EV.UPDATE_V2: case EV.DELETE_V2: {
        const v2 = type >= EV.WRITE_V2;
        const op: RowOp = type === EV.WRITE_V1 || type === EV.WRITE_V2 ? 'insert' : type === EV.UPDATE_V1 || type === EV.UPDATE_V2 ? 'update' : 'delete';
        const tableId = b.readUIntLE(body, 6);
        let q = body + 8; // table id u48, flags u16
        if (v2) q += b.readUInt16LE(q); // extra data; its length counts its own two bytes
        let n: number; [n, q] = lenenc(b, q);
        const bm = (n + 7) >> 3;
        const present = b.subarray(q, q + bm); q += bm;
        let presentAfter = present;
        if (op === 'update') { presentAfter = b.subarray(q, q + bm); q += bm; }
        this.h.rows(op, tableId, b, q, bodyEnd, present, presentAfter);
        return;
      }
      case EV.PARTIAL_UPDATE_ROWS:
        throw new UnrecoverableError('MySQL partial JSON updates in the binlog (binlog_row_value_options=PARTIAL_JSON) are not supported; set binlog_row_value_options to empty');
      case EV.TRANSACTION_PAYLOAD:
        throw new UnrecoverableError('compressed MySQL binlog transactions (binlog_transaction_compression=ON) are not supported; set binlog_transaction_compression=OFF');
      default:
        if ((type >= EV.MARIA_WRITE_COMPRESSED_V1 && type <= EV.MARIA_DELETE_COMPRESSED_V1) || type === EV.MARIA_QUERY_COMPRESSED) {
          throw new UnrecoverableError('compressed MariaDB binlog events (log_bin_compress=ON) are not supported; set log_bin_compress=OFF');
        }
        return;
    }
  }
}
