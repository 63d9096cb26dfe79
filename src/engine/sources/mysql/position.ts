/**
 * Positions of the MySQL/MariaDB source: opaque strings, always at a transaction boundary (just
 * past a commit: XID, COMMIT, or a standalone DDL statement). THE format, in one place:
 *
 *   MariaDB:            gtid:<gtid state>@<binlog file>:<offset>   e.g. gtid:0-1-42,1-2-7@mysql-bin.000003:1234
 *                       (the state may be empty on a server that never logged a GTID: gtid:@mysql-bin.000001:330)
 *   MySQL / other:      file:<binlog file>:<offset>                 e.g. file:binlog.000012:4711
 *
 * `offset` is the end of the commit event in `file` (the event header's log_pos), i.e. where the
 * next transaction starts. The GTID state is MariaDB's @@gtid_binlog_pos at that point (one
 * `domain-server-seq` per domain): seeded with BINLOG_GTID_POS(file, offset), advanced per GTID event.
 *
 * Resuming: a non-empty GTID state is what counts. MariaDB dumps by GTID (@slave_connect_state,
 * strict mode, binlog-connection.ts): the server starts right after those GTIDs, whichever file
 * holds them, so the file:offset part may be stale or wrong (it is corrected from the stream at
 * the first event group). An empty state, a `file:` position, or MySQL: COM_BINLOG_DUMP from
 * file:offset, exact on the same server. The file:offset part is always kept and emitted (from
 * ROTATE and event headers): it orders positions (comparePositions), is the fallback without a
 * GTID state, and is what positionAt() finds.
 *
 * Purge detection (MySqlSource.prepare/open): by the GTID state when resuming by GTID (a probe dump;
 * the server's error 1236, e.g. "Could not find GTID state requested by slave in any binlog files"),
 * so a position whose file was purged but whose state is still found in a later binlog resumes;
 * otherwise the file must be among SHOW BINARY LOGS. Either failure is an UnrecoverableError.
 * MySQL 8 GTID sets (COM_BINLOG_DUMP_GTID) are not implemented: MySQL uses file:offset (untested).
 *
 * Renamed task tables: once the binlog renamed a task table (RENAME TABLE), every later position
 * carries the rename, so a task whose definition still names the old table resumes following the
 * renamed one, whatever the checkpoint (source-tables.ts has the rules):
 *
 *   <position>;renamed=<original>><current>><target name>[,...]   e.g. ...:1234;renamed=shop.orders>shop.orders_v2>shop.orders
 *
 * each name `schema.table` with both parts URI-encoded (and '.' as %2E).
 */
import { UnrecoverableError } from '../../errors.ts';

export interface TableName { schema: string; table: string }

/** A task table the binlog renamed: `original` (as the task names it) is now `current`; its rows go to target table `target`. */
export interface TableRename { original: TableName; current: TableName; target: TableName }

export interface BinlogPosition { file: string; offset: number; gtid: string | null; renamed?: TableRename[] }

const RENAMED = ';renamed=';
const encodePart = (s: string) => encodeURIComponent(s).replace(/\./g, '%2E');
const encodeName = (t: TableName) => `${encodePart(t.schema)}.${encodePart(t.table)}`;

const SHAPES = 'a MySQL/MariaDB source position is gtid:<domain-server-seq,...>@<binlog file>:<offset> '
  + '(e.g. gtid:0-1-42@mysql-bin.000003:1234) or file:<binlog file>:<offset> (e.g. file:mysql-bin.000003:1234)';

/** A malformed position never gets better by retrying (and must never fall back to another one). */
function malformed(s: string, why: string): UnrecoverableError {
  return new UnrecoverableError(`not a MySQL source position: ${JSON.stringify(s.slice(0, 200))} (${why}); ${SHAPES}`);
}

export function formatPosition(p: BinlogPosition): string {
  const base = p.gtid !== null ? `gtid:${p.gtid}@${p.file}:${p.offset}` : `file:${p.file}:${p.offset}`;
  if (!p.renamed?.length) return base;
  return base + RENAMED + p.renamed.map((r) => [r.original, r.current, r.target].map(encodeName).join('>')).join(',');
}

function parseRenamed(s: string, all: string): TableRename[] {
  const name = (t: string): TableName => {
    const parts = t.split('.');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw malformed(all, `bad table name ${t} in the renamed tables`);
    try { return { schema: decodeURIComponent(parts[0]), table: decodeURIComponent(parts[1]) }; } catch { throw malformed(all, `bad table name ${t}`); }
  };
  return s.split(',').map((entry) => {
    const names = entry.split('>');
    if (names.length !== 3) throw malformed(all, 'a renamed table is original>current>target');
    const [original, current, target] = names.map(name);
    return { original, current, target };
  });
}

export function parsePosition(text: string): BinlogPosition {
  const cut = text.indexOf(RENAMED);
  const s = cut < 0 ? text : text.slice(0, cut);
  const renamed = cut < 0 ? undefined : parseRenamed(text.slice(cut + RENAMED.length), text);
  let gtid: string | null = null;
  let rest: string;
  if (s.startsWith('gtid:')) {
    const at = s.lastIndexOf('@');
    if (at < 0) throw malformed(s, 'no @ between the GTID state and the binlog file');
    gtid = s.slice(5, at);
    if (!/^(\d+-\d+-\d+(,\d+-\d+-\d+)*)?$/.test(gtid)) throw malformed(s, 'bad GTID state');
    rest = s.slice(at + 1);
  } else if (s.startsWith('file:')) {
    rest = s.slice(5);
  } else {
    throw malformed(s, 'it starts with neither gtid: nor file:');
  }
  const colon = rest.lastIndexOf(':');
  const offset = Number(rest.slice(colon + 1));
  if (colon <= 0 || !/^\d+$/.test(rest.slice(colon + 1)) || !Number.isSafeInteger(offset) || offset < 4) throw malformed(s, 'no binlog file name and offset (4 or more)');
  const p: BinlogPosition = { file: rest.slice(0, colon), offset, gtid };
  if (renamed) p.renamed = renamed;
  return p;
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
