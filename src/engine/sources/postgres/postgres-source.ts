/**
 * PostgreSQL change source: a publication and a durable logical replication slot per task,
 * streamed with pgoutput. Transactions whose commit lies before the resume position are skipped
 * whole. Decoded events wait in a bounded queue; past its high-water mark the socket is paused
 * (backpressure), so memory stays bounded whatever the size of a transaction.
 */
import pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import type { ChangeSource, TableSchema } from '../../change-source.ts';
import type { RelationInfo, RowChange, SourceEvent } from '../../change-event.ts';
import { UnrecoverableError } from '../../errors.ts';
import { ReplicationStream, clientConfig, quoteIdent } from './replication-stream.ts';
import { decodePgOutput } from './pgoutput-decoder.ts';
import { formatLsn, parseLsn, pgTimestampToDate } from './lsn.ts';

export interface PostgresSourceSpec {
  endpoint: PgEndpoint;
  slotName: string;
  publicationName: string;
  tables: { schema: string; table: string }[];
}

const HIGH_WATER = 20_000;
const LOW_WATER = 5_000;

export class PostgresSource implements ChangeSource {
  private control: pg.Client | undefined;
  private stream: ReplicationStream | undefined;
  private readonly relations = new Map<number, RelationInfo>();
  private queue: SourceEvent[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private endRequested = false;
  private skipBefore = 0n;
  private skipping = false;
  private inTransaction = false;
  private sentUpTo = 0n;

  constructor(private readonly spec: PostgresSourceSpec, private readonly logger: Logger) {}

  async prepare(mustExist: boolean): Promise<{ created: boolean }> {
    const c = await this.controlClient();
    const wal = (await c.query(`SHOW wal_level`)).rows[0].wal_level;
    if (wal !== 'logical') throw new UnrecoverableError(`the source database needs wal_level=logical (it has ${wal}); change it in postgresql.conf and restart PostgreSQL`);
    await this.checkTables(c);
    const slot = (await c.query(`SELECT plugin, database, active_pid FROM pg_replication_slots WHERE slot_name = $1`, [this.spec.slotName])).rows[0];
    if (!slot && mustExist) {
      throw new UnrecoverableError(`the replication slot ${this.spec.slotName} no longer exists on the source, so the changes made since the last checkpoint cannot be recovered. `
        + 'Call TerminateDISyncInstance and start the task again to resynchronize from now (a full reload of the target is needed for an exact copy).');
    }
    if (slot && (slot.plugin !== 'pgoutput' || slot.database !== this.spec.endpoint.database)) {
      throw new UnrecoverableError(`the replication slot ${this.spec.slotName} exists but belongs to database ${slot.database} with plugin ${slot.plugin}`);
    }
    await this.ensurePublication(c);
    if (!slot) {
      await c.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [this.spec.slotName]);
      this.logger.info('created replication slot', { slot: this.spec.slotName });
      return { created: true };
    }
    if (slot.active_pid) await this.releaseStaleWalsender(c);
    return { created: false };
  }

  async open(position: string | null): Promise<void> {
    this.skipBefore = position ? parseLsn(position) : 0n;
    this.stream = new ReplicationStream(this.spec.endpoint, this.logger);
    await this.stream.start(this.spec.slotName, this.spec.publicationName, this.skipBefore, {
      onData: (_walStart, payload) => this.onData(payload),
      onKeepalive: (walEnd) => { if (!this.inTransaction && walEnd > this.sentUpTo) this.sentUpTo = walEnd; },
      onError: (err) => this.fail(err),
    });
  }

  async next(idleMs: number): Promise<SourceEvent> {
    for (let waited = false; ; waited = true) {
      if (this.failure) throw this.failure;
      if (this.endRequested) return { kind: 'end' };
      if (this.head < this.queue.length) {
        const ev = this.queue[this.head++];
        if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue = this.queue.slice(this.head); this.head = 0; }
        if (this.queue.length - this.head < LOW_WATER) this.stream?.resume();
        return ev;
      }
      if (waited) return { kind: 'idle' };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, idleMs);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
      this.wake = undefined;
    }
  }

  requestEnd(): void {
    this.endRequested = true;
    this.wake?.();
  }

  acknowledge(position: string): void {
    this.stream?.acknowledge(parseLsn(position));
  }

  /**
   * Everything delivered is committed in the target and nothing is buffered: the slot may move
   * up to what the server has sent, so an idle task does not pin WAL that other databases write.
   */
  acknowledgeCaughtUp(): void {
    if (!this.inTransaction && this.head >= this.queue.length && this.sentUpTo > 0n) this.stream?.acknowledge(this.sentUpTo);
  }

  async describeTable(relation: RelationInfo): Promise<TableSchema> {
    const c = await this.controlClient();
    const res = await c.query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
              COALESCE(a.attnum = ANY(i.indkey), false) AS is_key
         FROM pg_attribute a
         LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`, [`${quoteIdent(relation.schema)}.${quoteIdent(relation.table)}`]);
    return { columns: res.rows.map((r) => ({ name: r.name, type: r.type, notNull: r.not_null, isKey: r.is_key })) };
  }

  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.stream?.end(Math.max(100, timeoutMs - 500));
    // The walsender exits shortly after our socket closes; wait so no replication connection is left.
    const c = await this.controlClient();
    for (;;) {
      const r = (await c.query(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, [this.spec.slotName])).rows[0];
      if (!r?.active_pid) break;
      if (Date.now() > deadline) {
        await c.query(`SELECT pg_terminate_backend($1)`, [r.active_pid]);
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    await c.end().catch(() => undefined);
    this.control = undefined;
  }

  async destroy(): Promise<void> {
    this.stream?.destroy();
    const c = this.control;
    this.control = undefined;
    await terminateWalsender(this.spec).catch((err) => this.logger.warn('could not terminate the walsender', { error: err }));
    await c?.end().catch(() => undefined);
  }

  private onData(payload: Buffer): void {
    let msg;
    try { msg = decodePgOutput(payload); } catch (err) { this.fail(err as Error); return; }
    switch (msg.tag) {
      case 'relation':
        this.relations.set(msg.id, { id: msg.id, schema: msg.schema, table: msg.table, columns: msg.columns });
        return;
      case 'begin':
        this.inTransaction = true;
        // Resume rule: a transaction whose commit record precedes the checkpoint was applied already.
        this.skipping = msg.finalLsn < this.skipBefore;
        if (!this.skipping) this.push({ kind: 'begin', commitTime: pgTimestampToDate(msg.commitTime) });
        return;
      case 'commit':
        this.inTransaction = false;
        if (msg.endLsn > this.sentUpTo) this.sentUpTo = msg.endLsn;
        if (this.skipping) { this.skipping = false; return; }
        this.push({ kind: 'commit', position: formatLsn(msg.endLsn), commitTime: pgTimestampToDate(msg.commitTime) });
        return;
      case 'insert': case 'update': case 'delete': {
        if (this.skipping) return;
        const relation = this.relations.get(msg.relationId);
        if (!relation) { this.fail(new Error(`pgoutput: change for unknown relation ${msg.relationId}`)); return; }
        let change: RowChange;
        if (msg.tag === 'insert') change = { op: 'insert', relation, values: msg.values };
        // Old tuples ('K' key, 'O' full) span every column; the sink reads the key columns out of them.
        else if (msg.tag === 'update') change = { op: 'update', relation, values: msg.values, oldKey: msg.oldKey };
        else change = { op: 'delete', relation, oldKey: msg.oldKey };
        this.push({ kind: 'change', change });
        return;
      }
      case 'truncate':
        if (!this.skipping) this.push({ kind: 'truncate', relations: msg.relationIds.map((id) => this.relations.get(id)!).filter(Boolean) });
        return;
      default:
        return;
    }
  }

  private push(ev: SourceEvent): void {
    this.queue.push(ev);
    if (this.queue.length - this.head > HIGH_WATER) this.stream?.pause();
    this.wake?.();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  private async controlClient(): Promise<pg.Client> {
    if (!this.control) {
      const c = new pg.Client(clientConfig(this.spec.endpoint));
      c.on('error', (err) => this.fail(err));
      await c.connect();
      this.control = c;
    }
    return this.control;
  }

  private async checkTables(c: pg.Client): Promise<void> {
    for (const t of this.spec.tables) {
      const r = (await c.query(
        `SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary) AS has_pk
           FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
          WHERE n.nspname = $1 AND cl.relname = $2 AND cl.relkind IN ('r', 'p')`, [t.schema, t.table])).rows[0];
      if (!r) throw new UnrecoverableError(`source table ${t.schema}.${t.table} does not exist`);
      if (!r.has_pk) throw new UnrecoverableError(`source table ${t.schema}.${t.table} has no primary key; real-time sync needs one`);
    }
  }

  private async ensurePublication(c: pg.Client): Promise<void> {
    const tables = this.spec.tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`).join(', ');
    const exists = (await c.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [this.spec.publicationName])).rowCount;
    if (exists) await c.query(`ALTER PUBLICATION ${quoteIdent(this.spec.publicationName)} SET TABLE ${tables}`);
    else await c.query(`CREATE PUBLICATION ${quoteIdent(this.spec.publicationName)} FOR TABLE ${tables}`);
  }

  /** A walsender still holding our slot belongs to an older owner of this task (crash, forced stop). */
  private async releaseStaleWalsender(c: pg.Client): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const r = (await c.query(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, [this.spec.slotName])).rows[0];
      if (!r?.active_pid) return;
      if (i === 49) await c.query(`SELECT pg_terminate_backend($1)`, [r.active_pid]);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}


async function terminateWalsender(spec: PostgresSourceSpec): Promise<void> {
  const c = new pg.Client(clientConfig(spec.endpoint));
  await c.connect();
  try {
    await c.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [spec.slotName]);
  } finally {
    await c.end();
  }
}

/** TerminateDISyncInstance / DeleteDISyncTask: drop the slot (ending any walsender on it) and the publication. */
export async function releasePostgresSource(spec: PostgresSourceSpec): Promise<void> {
  const c = new pg.Client(clientConfig(spec.endpoint));
  await c.connect();
  try {
    for (let i = 0; i < 50; i++) {
      const r = (await c.query(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, [spec.slotName])).rows[0];
      if (!r) break;
      if (r.active_pid) {
        await c.query(`SELECT pg_terminate_backend($1)`, [r.active_pid]);
        await new Promise((res) => setTimeout(res, 100));
        continue;
      }
      await c.query(`SELECT pg_drop_replication_slot($1)`, [spec.slotName]);
      break;
    }
    await c.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(spec.publicationName)}`);
  } finally {
    await c.end();
  }
}
