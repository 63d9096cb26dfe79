/**
 * Positions of the MySQL/MariaDB source: opaque strings, always at a transaction boundary (just
 * past a commit: XID, COMMIT, or a standalone DDL statement). THE format, in one place:
 *
 *   MariaDB:            gtid:<gtid state>@<binlog file>:<offset>   e.g. gtid:0-1-42,1-2-7@mysql-bin.000003:1234
 *                       (the state may be empty on a server that never logged a GTID: gtid:@mysql-bin.000001:330)
 *   MySQL / other:      file:<binlog file>:<offset>                 e.g. file:binlog.000012:4711
 *
 * `offset` is the end of the commit event in `file` (the event header's log_pos), i.e. where the
 * next transaction starts. Resuming dumps from file:offset (COM_BINLOG_DUMP), which on the same
 * server is exact and lets prepare() detect a purged file with SHOW BINARY LOGS. The MariaDB GTID
 * state is kept for operators and for a future failover to another server (resume by
 * @slave_connect_state); it is seeded with BINLOG_GTID_POS(file, offset) and advanced per GTID event.
 * MySQL 8 GTID sets (COM_BINLOG_DUMP_GTID) are not implemented: MySQL uses file:offset (untested).
 */
export interface BinlogPosition { file: string; offset: number; gtid: string | null }

export function formatPosition(p: BinlogPosition): string {
  return p.gtid !== null ? `gtid:${p.gtid}@${p.file}:${p.offset}` : `file:${p.file}:${p.offset}`;
}

export function parsePosition(s: string): BinlogPosition {
  let gtid: string | null = null;
  let rest: string;
  if (s.startsWith('gtid:')) {
    const at = s.lastIndexOf('@');
    if (at < 0) throw new Error(`not a MySQL source position: ${s}`);
    gtid = s.slice(5, at);
    rest = s.slice(at + 1);
  } else if (s.startsWith('file:')) {
    rest = s.slice(5);
  } else {
    throw new Error(`not a MySQL source position: ${s}`);
  }
  const colon = rest.lastIndexOf(':');
  const offset = Number(rest.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(offset) || offset < 4) throw new Error(`not a MySQL source position: ${s}`);
  return { file: rest.slice(0, colon), offset, gtid };
}

/** Orders positions of one server: by binlog file sequence number, then offset. */
export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
  if (a.file !== b.file) {
    const na = Number(/\.(\d+)$/.exec(a.file)?.[1] ?? NaN), nb = Number(/\.(\d+)$/.exec(b.file)?.[1] ?? NaN);
    if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
    return a.file < b.file ? -1 : 1;
  }
  return a.offset - b.offset;
}

/** MariaDB GTID state: one `domain-server-seq` per domain, in domain order. */
export class GtidState {
  private readonly domains = new Map<number, string>();

  constructor(state = '') {
    for (const g of state.split(',').map((s) => s.trim()).filter(Boolean)) this.domains.set(Number(g.split('-')[0]), g);
  }

  set(domain: number, serverId: number, seq: bigint): void {
    this.domains.set(domain, `${domain}-${serverId}-${seq}`);
  }

  toString(): string {
    return [...this.domains.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]).join(',');
  }
}
