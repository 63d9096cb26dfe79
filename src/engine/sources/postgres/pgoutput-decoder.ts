/**
 * Decoder for the pgoutput logical replication protocol, version 1
 * (PostgreSQL docs, "Logical Replication Message Formats"). Tuple values arrive in text form;
 * 'u' marks an unchanged TOASTed value that the update did not send.
 */
import { UNCHANGED, type ColumnInfo, type ColumnValue } from '../../change-event.ts';

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: bigint; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitTime: bigint }
  | { tag: 'relation'; id: number; schema: string; table: string; replicaIdentity: string; columns: ColumnInfo[] }
  | { tag: 'insert'; relationId: number; values: ColumnValue[] }
  | { tag: 'update'; relationId: number; oldKey?: ColumnValue[]; oldKind?: 'K' | 'O'; values: ColumnValue[] }
  | { tag: 'delete'; relationId: number; oldKey: ColumnValue[]; oldKind: 'K' | 'O' }
  | { tag: 'truncate'; relationIds: number[]; cascade: boolean; restartIdentity: boolean }
  | { tag: 'other'; code: string };

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number { return this.buf[this.pos++]; }
  i16(): number { const v = this.buf.readInt16BE(this.pos); this.pos += 2; return v; }
  i32(): number { const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
  u32(): number { const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }
  u64(): bigint { const v = this.buf.readBigUInt64BE(this.pos); this.pos += 8; return v; }
  char(): string { return String.fromCharCode(this.u8()); }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): string { const s = this.buf.toString('utf8', this.pos, this.pos + n); this.pos += n; return s; }
}

export function decodePgOutput(buf: Buffer): PgOutputMessage {
  const r = new Reader(buf);
  const code = r.char();
  switch (code) {
    case 'B': return { tag: 'begin', finalLsn: r.u64(), commitTime: r.u64(), xid: r.u32() };
    case 'C': { r.u8(); return { tag: 'commit', commitLsn: r.u64(), endLsn: r.u64(), commitTime: r.u64() }; }
    case 'R': {
      const id = r.u32();
      const schema = r.cstring();
      const table = r.cstring();
      const replicaIdentity = r.char();
      const n = r.i16();
      const columns: ColumnInfo[] = [];
      for (let i = 0; i < n; i++) {
        const flags = r.u8();
        columns.push({ isKey: (flags & 1) === 1, name: r.cstring(), typeOid: r.u32(), typmod: r.i32() });
      }
      return { tag: 'relation', id, schema, table, replicaIdentity, columns };
    }
    case 'I': { const relationId = r.u32(); r.char(); return { tag: 'insert', relationId, values: tuple(r) }; }
    case 'U': {
      const relationId = r.u32();
      let kind = r.char();
      let oldKey: ColumnValue[] | undefined;
      let oldKind: 'K' | 'O' | undefined;
      if (kind === 'K' || kind === 'O') { oldKind = kind; oldKey = tuple(r); kind = r.char(); }
      if (kind !== 'N') throw new Error(`pgoutput: unexpected tuple kind ${kind} in Update`);
      return { tag: 'update', relationId, oldKey, oldKind, values: tuple(r) };
    }
    case 'D': {
      const relationId = r.u32();
      const oldKind = r.char() as 'K' | 'O';
      return { tag: 'delete', relationId, oldKind, oldKey: tuple(r) };
    }
    case 'T': {
      const n = r.u32();
      const options = r.u8();
      const relationIds: number[] = [];
      for (let i = 0; i < n; i++) relationIds.push(r.u32());
      return { tag: 'truncate', relationIds, cascade: (options & 1) === 1, restartIdentity: (options & 2) === 2 };
    }
    default:
      // Type ('Y'), Origin ('O') and Message ('M') carry nothing the sink needs.
      return { tag: 'other', code };
  }
}

function tuple(r: Reader): ColumnValue[] {
  const n = r.i16();
  const out: ColumnValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const kind = r.char();
    if (kind === 'n') out[i] = null;
    else if (kind === 'u') out[i] = UNCHANGED;
    else if (kind === 't') out[i] = r.bytes(r.u32());
    else throw new Error(`pgoutput: unsupported column kind ${kind}`);
  }
  return out;
}
