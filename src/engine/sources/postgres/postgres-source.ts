/**
 * PostgreSQL change source: a publication and a durable logical replication slot per task,
 * streamed with pgoutput proto 1. Transactions whose commit lies at or before the resume
 * position are skipped whole. Decoded events wait in a bounded queue (source-event-queue.ts) that
 * pauses the socket, so memory stays bounded whatever a transaction's size.
 */
import pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { PgEndpoint } from '../../endpoint.ts';
import type { ChangeSource, TableRef, TableSchema } from '../../change-source.ts';
import type { ColumnValue, RelationInfo, RowChange, SourceEvent } from '../../change-event.ts';
import { pgLogicalType } from '../../postgres/types.ts';
import { UnrecoverableError } from '../../errors.ts';
import { clientConfig, delay, qualifiedName, quoteIdent } from '../../postgres/connection.ts';
import { SourceEventQueue } from '../../source-event-queue.ts';
import { ReplicationStream } from './replication-stream.ts';
import { decodePgOutput } from './pgoutput-decoder.ts';
import { formatLsn, parseLsn, pgTimestampToDate } from './lsn.ts';
import { checkSourceTables, findSourceTableProblems } from './check-source-tables.ts';
import { relationChanges } from './relation-changes.ts';

export interface PostgresSourceSpec {
  endpoint: PgEndpoint;
  slotName: string;
  publicationName: string;
  tables: { schema: string; table: string }[];
  /** 2024 jobs: which other tables the task takes on when they appear (discoverTables). */
  selects?: (t: TableRef) => boolean;
}

/** How long a walsender left by a previous owner gets to go away by itself before it is terminated. */
const STALE_WALSENDER_GRACE_MS = 3_000;

export class PostgresSource implements ChangeSource {
  private control: pg.Client | undefined;
  private stream: ReplicationStream | undefined;
  private readonly relations = new Map<number, RelationInfo>();
  private readonly chunkRelations = new Map<string, { relation: RelationInfo; keyNames: string[]; keyTypes: string[] }>();
  private readonly queue = new SourceEventQueue({ pause: () => this.stream?.pause(), resume: () => this.stream?.resume() });
  private skipBefore = 0n;
  private skipping = false;
  private inTransaction = false;
  /** Everything before this has been received and is a transaction boundary. */
  private receivedUpTo = 0n;
  private acknowledged = 0n;
  /** schema.table of the tables in the publication (discoverTables), and of selected tables found unusable. */
  private published: Set<string> | undefined;
  private readonly refused = new Set<string>();

  constructor(private readonly spec: PostgresSourceSpec, private readonly applicationName: string, private readonly logger: Logger) {}

  async prepare(resume: { position: string | null; mustExist: boolean }): Promise<{ created: boolean }> {
    const c = await this.controlClient();
    const wal = (await c.query(`SHOW wal_level`)).rows[0].wal_level;
    if (wal !== 'logical') throw new UnrecoverableError(`the source database needs wal_level=logical (it has ${wal}); set it in postgresql.conf and restart PostgreSQL`);
    await checkSourceTables(c, this.spec.tables);
    const slot = (await c.query(
      `SELECT plugin, database, active_pid, confirmed_flush_lsn::text AS confirmed, wal_status
         FROM pg_replication_slots WHERE slot_name = $1`, [this.spec.slotName])).rows[0];
    const since = resume.position ? `position ${resume.position}` : 'the task was first started';
    if ((!slot && resume.mustExist) || slot?.wal_status === 'lost') {
      throw new UnrecoverableError(`the replication slot ${this.spec.slotName} on the source is gone${slot ? ' (invalidated: its WAL was removed)' : ''}, `
        + `so the changes made since ${since} cannot be recovered. Call TerminateDISyncInstance, then Start the task again to resynchronize.`);
    }
    if (slot && (slot.plugin !== 'pgoutput' || slot.database !== this.spec.endpoint.database)) {
      throw new UnrecoverableError(`the replication slot ${this.spec.slotName} exists but belongs to database ${slot.database} with plugin ${slot.plugin}`);
    }
    if (slot && resume.position && slot.confirmed && parseLsn(slot.confirmed) > parseLsn(resume.position)) {
      // Only committed positions are acknowledged, so this means the target lost commits (restore, crash without durable commit).
      throw new UnrecoverableError(`the replication slot ${this.spec.slotName} has already released the changes up to ${slot.confirmed}, past the target's checkpoint ${resume.position}; `
        + 'the changes in between cannot be recovered. Call TerminateDISyncInstance, then Start the task again to resynchronize.');
    }
    // The publication must exist before the slot: pgoutput looks publications up as of the decoded WAL position.
    await this.ensurePublication(c);
    if (!slot) {
      await c.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [this.spec.slotName]);
      this.logger.info('created replication slot and publication', { slot: this.spec.slotName, publication: this.spec.publicationName });
      return { created: true };
    }
    if (slot.active_pid) await this.releaseStaleWalsender(c);
    return { created: false };
  }

  async open(position: string | null): Promise<void> {
    this.skipBefore = position ? parseLsn(position) : 0n;
    this.acknowledged = this.skipBefore;
    this.stream = new ReplicationStream(this.spec.endpoint, this.applicationName, this.logger);
    await this.stream.start(this.spec.slotName, this.spec.publicationName, this.skipBefore, {
      onData: (payload) => this.onData(payload),
      onKeepalive: (walEnd) => { if (!this.inTransaction && walEnd > this.receivedUpTo) this.receivedUpTo = walEnd; },
      onError: (err) => this.fail(err),
    });
  }

  next(idleMs: number): Promise<SourceEvent> {
    return this.queue.next(idleMs);
  }

  requestEnd(): void {
    this.queue.requestEnd();
  }

  acknowledge(position: string): void {
    const lsn = parseLsn(position);
    if (lsn > this.acknowledged) this.acknowledged = lsn;
    this.stream?.acknowledge(lsn);
  }

  caughtUpPosition(): string | null {
    if (this.inTransaction || this.queue.pending > 0 || this.receivedUpTo <= this.acknowledged) return null;
    return formatLsn(this.receivedUpTo);
  }

  async describeTable(relation: RelationInfo): Promise<TableSchema> {
    const c = await this.controlClient();
    // Generated columns are left out: pgoutput does not send them (PostgreSQL 15).
    const res = await c.query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
              COALESCE(a.attnum = ANY(i.indkey), false) AS is_key
         FROM pg_attribute a
         LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        ORDER BY a.attnum`, [qualifiedName(relation)]);
    return { dialect: 'postgresql', columns: res.rows.map((r) => ({ name: r.name, type: r.type, logical: pgLogicalType(r.type), notNull: r.not_null, isKey: r.is_key })) };
  }

  /**
   * New tables the task selects: PostgreSQL logs no CREATE TABLE for logical decoding, so the
   * catalog is watched instead. Each usable one (a primary key, a replica identity that carries
   * it: check-source-tables.ts) is added to the publication; its changes committed after that
   * arrive in the stream. An unusable one is left alone, with a warning once.
   */
  async discoverTables(): Promise<TableRef[]> {
    const selects = this.spec.selects;
    if (!selects) return [];
    const c = await this.controlClient();
    this.published ??= new Set(this.spec.tables.map((t) => `${t.schema}.${t.table}`));
    const rows = (await c.query(
      `SELECT n.nspname AS schema, cl.relname AS table FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE cl.relkind IN ('r', 'p') AND NOT cl.relispartition
          AND n.nspname NOT IN ('information_schema', 'opendi') AND n.nspname NOT LIKE 'pg\\_%'`)).rows as TableRef[];
    const added: TableRef[] = [];
    for (const t of rows) {
      const key = `${t.schema}.${t.table}`;
      if (this.published.has(key) || this.refused.has(key) || !selects(t)) continue;
      const problems = await findSourceTableProblems(c, [t]);
      if (problems.length > 0) {
        this.refused.add(key);
        this.logger.warn('a new source table matches the task but cannot be synced; it is left alone', { table: key, problem: problems.join('; ') });
        continue;
      }
      await c.query(`ALTER PUBLICATION ${quoteIdent(this.spec.publicationName)} ADD TABLE ${qualifiedName(t)}`);
      this.published.add(key);
      added.push({ schema: t.schema, table: t.table });
    }
    return added;
  }

  async headPosition(): Promise<string | null> {
    const c = await this.controlClient();
    // The slot keeps everything after its confirmed position: streaming from there misses nothing.
    const r = (await c.query(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [this.spec.slotName])).rows[0];
    return r?.lsn ?? null;
  }

  async readChunk(table: TableRef, afterKey: ColumnValue[] | null, limit: number): Promise<{ relation: RelationInfo; rows: ColumnValue[][] }> {
    const c = await this.controlClient();
    const key = `${table.schema}.${table.table}`;
    let snapshot = this.chunkRelations.get(key);
    if (!snapshot) {
      const schema = await this.describeTable({ id: 0, schema: table.schema, table: table.table, columns: [] });
      const relation: RelationInfo = { id: 0, schema: table.schema, table: table.table, columns: schema.columns.map((col) => ({ name: col.name, isKey: col.isKey })) };
      snapshot = { relation, keyTypes: schema.columns.filter((col) => col.isKey).map((col) => col.type), keyNames: schema.columns.filter((col) => col.isKey).map((col) => col.name) };
      this.chunkRelations.set(key, snapshot);
    }
    const { relation, keyNames, keyTypes } = snapshot;
    const cols = relation.columns.map((col) => quoteIdent(col.name)).join(', ');
    const keyList = keyNames.map(quoteIdent).join(', ');
    const where = afterKey ? `WHERE (${keyList}) > (${keyTypes.map((t, i) => `$${i + 1}::${t}`).join(', ')})` : '';
    // Raw text from the output functions: the same canonical text pgoutput sends.
    const res = await c.query({
      text: `SELECT ${cols} FROM ${qualifiedName(table)} ${where} ORDER BY ${keyList} LIMIT ${Math.max(1, Math.floor(limit))}`,
      values: afterKey ?? [], rowMode: 'array', types: { getTypeParser: () => (v: string) => v },
    } as pg.QueryConfig);
    return { relation, rows: res.rows as ColumnValue[][] };
  }

  async close(deadline: number): Promise<{ forced: boolean }> {
    if (!this.stream) { await this.endControl(); return { forced: false }; }
    const pid = this.stream.backendPid;
    await this.stream.end(Math.max(100, deadline - Date.now()));
    // The walsender exits shortly after our CopyDone / disconnect; wait until it has released the
    // slot and is gone, so no replication connection is left.
    const c = await this.controlClient();
    let forced = false;
    while (pid !== null) {
      const r = (await c.query(
        `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active_pid = $2)
             OR EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $2) AS ours`, [this.spec.slotName, pid])).rows[0];
      if (!r.ours) break;
      if (Date.now() > deadline) {
        this.logger.warn('the walsender did not exit in time; terminating it', { pid });
        await c.query(`SELECT pg_terminate_backend($1)`, [pid]);
        forced = true;
        break;
      }
      await delay(20);
    }
    await this.endControl();
    return { forced };
  }

  async destroy(): Promise<void> {
    const pid = this.stream?.backendPid ?? null;
    this.stream?.destroy();
    const c = this.control;
    this.control = undefined;
    (c as unknown as { connection?: { stream?: { destroy(): void } } } | undefined)?.connection?.stream?.destroy();
    // Our socket is gone, but the server may take a while to notice: end our walsender now.
    if (pid !== null) {
      await terminateBackend(this.spec.endpoint, this.applicationName, pid).catch((err) => this.logger.warn('could not terminate the walsender', { error: err }));
    }
  }

  private onData(payload: Buffer): void {
    let msg;
    try { msg = decodePgOutput(payload); } catch (err) { this.fail(err as Error); return; }
    switch (msg.tag) {
      case 'relation': {
        const relation: RelationInfo = { id: msg.id, schema: msg.schema, table: msg.table, columns: msg.columns };
        const before = this.relations.get(msg.id);
        this.relations.set(msg.id, relation);
        if (before && !this.skipping) {
          // Inside the transaction that first touches the table after the change; the position
          // is the last boundary (the pipeline does not commit a position in mid-transaction).
          const position = formatLsn(this.receivedUpTo);
          for (const change of relationChanges(before, relation)) this.push({ kind: 'ddl', change, position, commitTime: new Date() });
        }
        return;
      }
      case 'begin':
        this.inTransaction = true;
        // Resume rule: skip a transaction whose commit ends at or before the checkpoint. Its commit
        // record starts at finalLsn; a checkpoint is always a record boundary, so
        // "end <= checkpoint" is the same as "start < checkpoint".
        this.skipping = msg.finalLsn < this.skipBefore;
        if (!this.skipping) this.push({ kind: 'begin', commitTime: pgTimestampToDate(msg.commitTime) });
        return;
      case 'commit':
        this.inTransaction = false;
        if (msg.endLsn > this.receivedUpTo) this.receivedUpTo = msg.endLsn;
        if (this.skipping) { this.skipping = false; return; }
        this.push({ kind: 'commit', position: formatLsn(msg.endLsn), commitTime: pgTimestampToDate(msg.commitTime) });
        return;
      case 'insert': case 'update': case 'delete': {
        if (this.skipping) return;
        const relation = this.relations.get(msg.relationId);
        if (!relation) { this.fail(new Error(`pgoutput: change for unknown relation ${msg.relationId}`)); return; }
        let change: RowChange;
        if (msg.tag === 'insert') change = { op: 'insert', relation, values: msg.values };
        else if (msg.tag === 'update') change = { op: 'update', relation, values: msg.values, oldKey: msg.oldKey };
        else change = { op: 'delete', relation, oldKey: msg.oldKey };
        this.push({ kind: 'change', change });
        return;
      }
      case 'truncate': {
        if (this.skipping) return;
        const relations = msg.relationIds.map((id) => this.relations.get(id)).filter((r): r is RelationInfo => r !== undefined);
        this.push({ kind: 'truncate', relations });
        return;
      }
      default:
        return;
    }
  }

  private push(ev: SourceEvent): void {
    this.queue.push(ev);
  }

  private fail(err: Error): void {
    this.queue.fail(err);
  }

  private async controlClient(): Promise<pg.Client> {
    if (!this.control) {
      const c = new pg.Client(clientConfig(this.spec.endpoint, this.applicationName));
      c.on('error', (err) => this.fail(err));
      await c.connect();
      this.control = c;
    }
    return this.control;
  }

  private async endControl(): Promise<void> {
    const c = this.control;
    this.control = undefined;
    await c?.end().catch(() => undefined);
  }

  private async ensurePublication(c: pg.Client): Promise<void> {
    const name = quoteIdent(this.spec.publicationName);
    const tables = this.spec.tables.map(qualifiedName).join(', ');
    const exists = (await c.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [this.spec.publicationName])).rowCount;
    // publish_via_partition_root: changes of a partitioned table arrive under its own name, not its partitions'.
    if (!exists) await c.query(`CREATE PUBLICATION ${name} FOR TABLE ${tables} WITH (publish_via_partition_root = true)`);
    else await c.query(`ALTER PUBLICATION ${name} SET TABLE ${tables}`);
  }

  /**
   * A walsender still holding our slot belongs to an earlier owner of this task (crash, forced
   * stop, or an owner just fenced by our claim, which stops at its next commit).
   */
  private async releaseStaleWalsender(c: pg.Client): Promise<void> {
    const deadline = Date.now() + STALE_WALSENDER_GRACE_MS;
    this.logger.info('the slot is still held by an earlier owner; waiting for it to let go', { slot: this.spec.slotName });
    for (;;) {
      const r = (await c.query(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, [this.spec.slotName])).rows[0];
      if (!r?.active_pid) return;
      if (Date.now() > deadline) {
        this.logger.warn('terminating the walsender of an earlier owner of the slot', { pid: r.active_pid });
        await c.query(`SELECT pg_terminate_backend($1)`, [r.active_pid]);
        await delay(100);
        continue;
      }
      await delay(50);
    }
  }
}

async function terminateBackend(endpoint: PgEndpoint, applicationName: string, pid: number): Promise<void> {
  const c = new pg.Client(clientConfig(endpoint, applicationName));
  await c.connect();
  try {
    await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_type = 'walsender'`, [pid]);
  } finally {
    await c.end();
  }
}
