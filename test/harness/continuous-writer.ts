/**
 * A writer that keeps inserting into a source table in small transactions until stopped, so
 * tests can stop, kill and restart things under load. Ids are consecutive from `firstId`.
 */
import pg from 'pg';
import type { PgInstance } from './postgres.ts';

export class ContinuousWriter {
  committedRows = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(pgi: PgInstance, database: string, table: string, private nextId: number, rowsPerTxn = 20, pauseMs = 5) {
    this.done = this.loop(pgi, database, table, rowsPerTxn, pauseMs);
  }

  private async loop(pgi: PgInstance, database: string, table: string, rowsPerTxn: number, pauseMs: number): Promise<void> {
    const client = new pg.Client({ ...pgi.connectionConfig(), database });
    // A dropped connection fails the next insert (and so stop()); without a listener it would crash the test process.
    client.on('error', () => undefined);
    await client.connect();
    try {
      while (this.running) {
        const first = this.nextId;
        await client.query(`INSERT INTO ${table} (id, payload) SELECT g, md5(g::text) FROM generate_series($1::bigint, $2::bigint) g`, [first, first + rowsPerTxn - 1]);
        this.nextId += rowsPerTxn;
        this.committedRows += rowsPerTxn;
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.done;
    return this.committedRows;
  }
}
