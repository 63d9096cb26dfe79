/**
 * New rows into a PostgreSQL table with COPY .. FROM STDIN (text format), which costs the server
 * less than half of an INSERT .. SELECT FROM unnest of the same rows: it parses each value once
 * with the column type's input function, where the INSERT first parses a text[] per column,
 * expands it and then casts every element (measured on the bench's table, 20,000-row chunks:
 * 1.5 against 3.4 µs of backend CPU per row; docs/performance.md).
 *
 * The same rows land as with the INSERT: COPY writes identity columns as given (like OVERRIDING
 * SYSTEM VALUE), fires the same row and statement triggers, and checks the same constraints, and
 * the text of every value is what the INSERT would cast (change-event.ts canonical text). COPY
 * ignores rewrite rules, only plain and partitioned tables take it, and it refuses a table whose
 * row-level security applies to the writer, so a table with rules or row security, or of another
 * kind, keeps the INSERT (target-table.ts `copy`).
 *
 * node-postgres has no COPY API; the protocol (PostgreSQL docs, "Frontend/Backend Protocol",
 * COPY operations) is small: the query, CopyInResponse, then CopyData and CopyDone from us, and
 * CommandComplete or ErrorResponse, then ReadyForQuery.
 */
import type pg from 'pg';
import type { ColumnValue } from '../../change-event.ts';

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One text value or null as COPY text: NULL as \N, backslash, tab, newline and carriage return escaped. */
function field(v: string | null): string {
  if (v === null) return '\\N';
  return SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (ch) => ESCAPES[ch]) : v;
}

/** The COPY text of `rows`, or null when a value is not text (never expected: the caller then inserts). */
export function copyText(rows: ColumnValue[][]): string | null {
  const lines: string[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    let line = '';
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v !== null && typeof v !== 'string') return null;
      line += i === 0 ? field(v) : '\t' + field(v);
    }
    lines[r] = line;
  }
  return lines.join('\n') + '\n';
}

/** A COPY .. FROM STDIN as a node-postgres submittable: settles when the server is ready for the next query. */
class CopyIn implements pg.Submittable {
  readonly done: Promise<void>;
  private settle!: (err: Error | null) => void;

  constructor(private readonly text: string, private readonly data: Buffer) {
    this.done = new Promise((resolve, reject) => {
      let settled = false;
      this.settle = (err) => {
        if (settled) return;
        settled = true;
        if (err) reject(err); else resolve();
      };
    });
  }

  submit(connection: pg.Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: pg.Connection): void {
    // pg's Connection has these (lib/connection.js); its typings lack them.
    const con = connection as unknown as { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void };
    con.sendCopyFromChunk(this.data);
    con.endCopyFrom();
  }

  /** A server error (ReadyForQuery follows, and the client waits for it before the next query) or a lost connection. */
  handleError(err: Error): void { this.settle(err); }

  handleReadyForQuery(): void { this.settle(null); }

  // The other messages of a query never come for a COPY FROM, or say nothing the caller uses.
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** COPY `data` (copyText, UTF-8) into `columns` (quoted) of `table` (quoted). */
export function copyInto(c: pg.Client, table: string, columns: string[], data: Buffer): Promise<void> {
  return c.query(new CopyIn(`COPY ${table} (${columns.join(', ')}) FROM STDIN`, data)).done;
}
