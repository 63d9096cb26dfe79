/**
 * The sink contract (src/engine/change-sink.ts, docs/target-checkpoint.md) run the same way
 * against every target: a private PostgreSQL and a private MariaDB. Claim and fencing with a real
 * stale owner, commit atomicity, rollback and destroy, coalescing (UNCHANGED values included),
 * overlapping applies in call order (a failed one failing the next), a commit handed over behind
 * applies in flight,
 * dirty records in the same transaction with the rest applied, idempotent schema changes with
 * the statements they ran and the source's defaults, truncate inside the transaction, discard,
 * two installations on one target, the in-place migration of the older checkpoint layout, and
 * permanent target errors failing at once with the GRANT that fixes them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { freePort } from './harness/private-server.ts';
import { createLogger } from '../src/logger.ts';
import { openSink } from '../src/engine/ports.ts';
import type { ChangeSink } from '../src/engine/change-sink.ts';
import { UNCHANGED, type ColumnValue, type RelationInfo, type RowChange, type SchemaChange } from '../src/engine/change-event.ts';
import type { ColumnDefault, LogicalType, SourceColumn, TableSchema } from '../src/engine/table-schema.ts';
import type { DbEndpoint } from '../src/engine/endpoint.ts';
import { FencedError, UnrecoverableError } from '../src/engine/errors.ts';

const logger = createLogger('silent');

/** What the cases need from a target, written once per database. */
interface Target {
  kind: 'postgresql' | 'mysql';
  endpoint(database?: string): DbEndpoint;
  /** Rows of tgt.<table>, every value as text (null stays null), ordered by the first column. */
  select(table: string, columns: string[]): Promise<(string | null)[][]>;
  exec(sql: string, database?: string): Promise<void>;
  /** The target's own types for the dirty-record fixture: id int, u unique text, n smallint, v varchar(5). */
  strictTableDdl(table: string): string;
  /** The checkpoint tables as the engine created them before installations were told apart. */
  oldLayoutDdl: string[];
  /** Rows of the checkpoint table: `installation_id|task_id|position|fence`. */
  checkpoints(database?: string): Promise<string[]>;
  dirtyCount(installationId: string, taskId: number, database?: string): Promise<number>;
  columns(table: string): Promise<string[]>;
  /** A login that may connect but holds no privilege, on a database the engine has not touched. */
  powerlessEndpoint(): Promise<DbEndpoint>;
  destroy(): Promise<void>;
}

async function postgresTarget(): Promise<Target> {
  const pgi: PgInstance = await startPostgres();
  for (const db of ['cp', 'legacy', 'fresh']) {
    await pgi.createDatabase(db);
    await pgi.query(`CREATE SCHEMA tgt`, [], db);
  }
  const q = async (sql: string, database = 'cp') => (await pgi.query(sql, [], database)).rows;
  return {
    kind: 'postgresql',
    endpoint: (database = 'cp') => ({ host: pgi.host, port: pgi.port, database, user: pgi.user }),
    select: async (table, columns) => (await pgi.query({ text: `SELECT ${columns.map((c) => `${c}::text`).join(', ')} FROM tgt.${table} ORDER BY 1`, rowMode: 'array' } as never, undefined, 'cp')).rows as never,
    exec: async (sql, database) => { await q(sql, database); },
    strictTableDdl: (t) => `CREATE TABLE tgt.${t} (id integer PRIMARY KEY, u text NOT NULL UNIQUE, n smallint, v varchar(5))`,
    oldLayoutDdl: [
      `CREATE SCHEMA opendi`,
      `CREATE TABLE opendi.sync_checkpoint (task_id bigint PRIMARY KEY, position text, fence bigint NOT NULL, updated_at timestamptz DEFAULT now())`,
      `CREATE TABLE opendi.dirty_record (id bigserial PRIMARY KEY, task_id bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
        table_name text NOT NULL, op text NOT NULL, row_key text NOT NULL, row_values text, error text NOT NULL)`,
      `CREATE INDEX dirty_record_task ON opendi.dirty_record (task_id)`,
      `INSERT INTO opendi.sync_checkpoint (task_id, position, fence) VALUES (77, 'old-pos', 5)`,
      `INSERT INTO opendi.dirty_record (task_id, table_name, op, row_key, error) VALUES (77, 'tgt.x', 'upsert', '["1"]', 'bad')`,
    ],
    checkpoints: async (database) => (await q(`SELECT concat_ws('|', installation_id, task_id, coalesce(position, ''), fence) AS r FROM opendi.sync_checkpoint ORDER BY 1`, database)).map((r) => r.r),
    dirtyCount: async (inst, task, database) => Number((await pgi.query(`SELECT count(*) AS n FROM opendi.dirty_record WHERE installation_id = $1 AND task_id = $2`, [inst, task], database ?? 'cp')).rows[0].n),
    columns: async (table) => (await q(`SELECT column_name || ' ' || data_type || coalesce(' default ' || column_default, '') AS c FROM information_schema.columns WHERE table_schema = 'tgt' AND table_name = '${table}' ORDER BY ordinal_position`)).map((r) => r.c),
    powerlessEndpoint: async () => {
      await q(`CREATE ROLE powerless LOGIN`);
      return { host: pgi.host, port: pgi.port, database: 'fresh', user: 'powerless' };
    },
    destroy: () => pgi.destroy(),
  };
}

async function mariaDbTarget(): Promise<Target> {
  const db: MariaDbInstance = await startMariaDb();
  for (const name of ['cp', 'tgt', 'legacy']) await db.createDatabase(name);
  const q = <T = any[]>(sql: string, database?: string) => db.query<T>(sql, [], database);
  const text = (v: unknown) => (v === null ? null : Buffer.isBuffer(v) ? v.toString('hex') : String(v));
  return {
    kind: 'mysql',
    endpoint: (database = 'cp') => ({ host: db.host, port: db.port, database, user: db.user, password: '' }),
    select: async (table, columns) => (await q<Record<string, unknown>[]>(`SELECT ${columns.join(', ')} FROM tgt.${table} ORDER BY 1`)).map((r) => Object.values(r).map(text)),
    exec: async (sql, database) => { await q(sql, database); },
    strictTableDdl: (t) => `CREATE TABLE tgt.${t} (id INT PRIMARY KEY, u VARCHAR(20) NOT NULL UNIQUE, n SMALLINT, v VARCHAR(5)) DEFAULT CHARSET=utf8mb4`,
    oldLayoutDdl: [
      `CREATE TABLE opendi_sync_checkpoint (task_id BIGINT NOT NULL PRIMARY KEY, position TEXT NULL, fence BIGINT NOT NULL, updated_at DATETIME(6) NULL)
        ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE opendi_dirty_record (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, task_id BIGINT NOT NULL, recorded_at DATETIME(6) NOT NULL,
        table_name VARCHAR(512) NOT NULL, op VARCHAR(8) NOT NULL, row_key TEXT NOT NULL, row_values LONGTEXT NULL, error TEXT NOT NULL,
        KEY opendi_dirty_record_task (task_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `INSERT INTO opendi_sync_checkpoint (task_id, position, fence) VALUES (77, 'old-pos', 5)`,
      `INSERT INTO opendi_dirty_record (task_id, recorded_at, table_name, op, row_key, error) VALUES (77, NOW(6), 'tgt.x', 'upsert', '["1"]', 'bad')`,
    ],
    checkpoints: async (database = 'cp') => (await q<{ r: string }[]>(`SELECT CONCAT_WS('|', installation_id, task_id, IFNULL(position, ''), fence) AS r FROM opendi_sync_checkpoint ORDER BY 1`, database)).map((r) => r.r),
    dirtyCount: async (inst, task, database = 'cp') => Number((await db.query<{ n: string }[]>(`SELECT COUNT(*) AS n FROM opendi_dirty_record WHERE installation_id = ? AND task_id = ?`, [inst, task], database))[0].n),
    columns: async (table) => (await q<{ c: string }[]>(`SELECT CONCAT(COLUMN_NAME, ' ', DATA_TYPE, IFNULL(CONCAT(' default ', COLUMN_DEFAULT), '')) AS c FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = 'tgt' AND TABLE_NAME = '${table}' ORDER BY ORDINAL_POSITION`)).map((r) => r.c),
    powerlessEndpoint: async () => {
      await q(`CREATE USER 'powerless'@'%' IDENTIFIED BY 'pw'`);
      return { host: db.host, port: db.port, database: 'cp', user: 'powerless', password: 'pw' };
    },
    destroy: () => db.destroy(),
  };
}

let relId = 0;
const INT4: LogicalType = { kind: 'integer', bytes: 4, unsigned: false };
const TEXT: LogicalType = { kind: 'text', length: null, fixed: false };
const col = (name: string, logical: LogicalType, isKey = false, extra: Partial<SourceColumn> = {}): SourceColumn =>
  ({ name, type: logical.kind === 'integer' ? 'integer' : 'text', logical, isKey, notNull: isKey, ...extra });
const simple: TableSchema = { dialect: 'postgresql', columns: [col('id', INT4, true), col('v', TEXT)] };
const relOf = (table: string, schema: TableSchema = simple): RelationInfo =>
  ({ id: ++relId, schema: 'src', table, columns: schema.columns.map((c) => ({ name: c.name, isKey: c.isKey })) });
const describeOf = (schema: TableSchema) => async () => schema;
const ins = (relation: RelationInfo, values: ColumnValue[]): RowChange => ({ op: 'insert', relation, values });
const upd = (relation: RelationInfo, values: ColumnValue[], oldKey?: ColumnValue[]): RowChange => ({ op: 'update', relation, values, oldKey });
const del = (relation: RelationInfo, oldKey: ColumnValue[]): RowChange => ({ op: 'delete', relation, oldKey });

for (const [name, start] of [['PostgreSQL', postgresTarget], ['MariaDB', mariaDbTarget]] as const) {
  describe(`sink contract: ${name} target`, () => {
    let target: Target;
    const open: ChangeSink[] = [];
    before(async () => { target = await start(); });
    after(async () => {
      for (const s of open) await s.destroy().catch(() => undefined);
      await target?.destroy();
    });
    const sink = (taskId: number, installationId = 'inst-a', endpoint = target.endpoint()) => {
      const s = openSink(taskId, { kind: target.kind, endpoint, schema: 'tgt', installationId }, 'opendi-test', logger);
      open.push(s);
      return s;
    };
    const prepared = async (s: ChangeSink, table: string, schema = simple) => {
      const r = relOf(table, schema);
      await s.prepareTable(r, describeOf(schema));
      return r;
    };

    test('claim and fencing: a stale owner with an open transaction commits nothing; first claims of two tasks race safely', async () => {
      assert.deepEqual(await Promise.all([sink(900).claim(1), sink(901).claim(1)]), [{ position: null, dirtyRecords: 0 }, { position: null, dirtyRecords: 0 }]);
      const a = sink(1);
      assert.deepEqual(await a.claim(1), { position: null, dirtyRecords: 0 });
      const r = await prepared(a, 'fence');
      await a.apply([ins(r, ['1', 'a'])]);
      await a.commit('pos-1');
      await a.apply([ins(r, ['2', 'stale'])]); // open when the new owner takes over

      const b = sink(1);
      assert.deepEqual(await b.claim(2), { position: 'pos-1', dirtyRecords: 0 });
      await b.prepareTable(r, describeOf(simple));
      await b.apply([ins(r, ['3', 'b'])]);
      await b.commit('pos-3');
      await assert.rejects(a.commit('pos-stale'), FencedError);
      await assert.rejects(a.claim(2), FencedError, 'a claim with a fence not above the stored one is refused');
      assert.deepEqual(await target.select('fence', ['id', 'v']), [['1', 'a'], ['3', 'b']]);
      assert.ok((await target.checkpoints()).includes('inst-a|1|pos-3|2'));
      await Promise.all([a.close(), b.close()]);
    });

    test('commit is atomic: rows and checkpoint together, or neither (destroy mid-transaction, fenced commit)', async () => {
      const s = sink(2);
      await s.claim(1);
      const r = await prepared(s, 'atomic');
      await s.apply([ins(r, ['1', 'kept'])]);
      await s.commit('p1');
      await s.apply([ins(r, ['2', 'x']), upd(r, ['1', 'changed'])]);
      await s.destroy();
      const t = sink(2);
      assert.deepEqual(await t.claim(2), { position: 'p1', dirtyRecords: 0 });
      await t.prepareTable(r, describeOf(simple));
      // Would wait on the dead transaction's row lock if it lived on.
      await t.apply([upd(r, ['1', 'after'])]);
      await t.commit('p2');
      assert.deepEqual(await target.select('atomic', ['id', 'v']), [['1', 'after']]);
      await t.close();
    });

    test('rollback discards the open transaction, truncate included', async () => {
      const s = sink(3);
      await s.claim(1);
      const r = await prepared(s, 'rb');
      await s.apply([ins(r, ['1', 'kept']), ins(r, ['2', 'kept'])]);
      await s.commit('p1');
      await s.apply([ins(r, ['3', 'x']), upd(r, ['1', 'changed']), del(r, ['2', null])]);
      await s.truncate([r]);
      await s.rollback();
      assert.deepEqual(await target.select('rb', ['id', 'v']), [['1', 'kept'], ['2', 'kept']]);
      // A table created while a transaction is open survives its rollback or is created again.
      await s.apply([ins(r, ['9', 'uncommitted'])]);
      const late = await prepared(s, 'rb_late');
      await s.rollback();
      await prepared(s, 'rb_late');
      await s.truncate([r]);
      await s.apply([ins(r, ['4', 'c']), ins(late, ['1', 'late'])]);
      await s.commit('p2');
      assert.deepEqual(await target.select('rb', ['id', 'v']), [['4', 'c']]);
      assert.deepEqual(await target.select('rb_late', ['id', 'v']), [['1', 'late']]);
      await s.close();
    });

    test('coalescing: insert+update+delete of one key, key moves, patches with UNCHANGED values', async () => {
      const schema: TableSchema = { dialect: 'postgresql', columns: [col('k', { kind: 'text', length: 20, fixed: false }, true), col('a', TEXT), col('big', TEXT)] };
      const s = sink(4);
      await s.claim(1);
      const r = await prepared(s, 'coal', schema);
      await s.apply([ins(r, ['m', 'm0', 'stored-m']), ins(r, ['p', 'p0', 'stored-p']), ins(r, ['q', 'q0', 'stored-q'])]);
      await s.commit('p1');
      assert.deepEqual(await s.apply([
        ins(r, ['x', '1', 'x']), upd(r, ['x', '2', 'x']), del(r, ['x', null, null]), // gone
        ins(r, ['y', '1', 'y']), upd(r, ['y', '2', 'y2']), // final values
        ins(r, ['z', '1', 'z']), upd(r, ['z2', '2', 'zz'], ['z', null, null]), // key move with a full image
        upd(r, ['m2', 'm1', UNCHANGED], ['m', null, null]), // key move with an unsent value: the stored value moves
        upd(r, ['p', 'p1', UNCHANGED]), // patch: only `a` changes
        upd(r, ['q', 'q1', UNCHANGED]), upd(r, ['q', 'q2', UNCHANGED]), del(r, ['q', null, null]), ins(r, ['q', 'q3', 'new-q']),
      ]), []);
      await s.commit('p2');
      assert.deepEqual(await target.select('coal', ['k', 'a', 'big']), [
        ['m2', 'm1', 'stored-m'], ['p', 'p1', 'stored-p'], ['q', 'q3', 'new-q'], ['y', '2', 'y2'], ['z2', '2', 'zz'],
      ]);
      await s.close();
    });

    test('overlapping applies (called before the previous resolved) apply in call order; after a failed one, the next fails and writes nothing until a rollback', async () => {
      const s = sink(16);
      await s.claim(1);
      const a = await prepared(s, 'ov_a');
      const b = await prepared(s, 'ov_b');
      // The first call's second table is sent after its first table's statement: a later call that
      // did not wait for it would write ov_b first and be overwritten.
      const calls = [
        s.apply([ins(a, ['1', 'a1']), ins(b, ['1', 'x'])]),
        s.apply([upd(b, ['1', 'y']), ins(b, ['2', 'y'])]),
        s.apply([del(b, ['2', null]), upd(a, ['1', 'a2'])]),
      ];
      assert.deepEqual(await Promise.all(calls), [[], [], []]);
      await s.commit('p1');
      assert.deepEqual(await target.select('ov_a', ['id', 'v']), [['1', 'a2']]);
      assert.deepEqual(await target.select('ov_b', ['id', 'v']), [['1', 'y']]);

      const gone = await prepared(s, 'ov_gone');
      await target.exec(`DROP TABLE tgt.ov_gone`);
      const failed = s.apply([ins(gone, ['1', 'lost'])]);
      const next = s.apply([ins(b, ['3', 'never'])]);
      const first = await failed.then(() => null, (err: Error) => err);
      assert.ok(first instanceof Error, 'the apply into a dropped table fails');
      await assert.rejects(next, (err) => err === first, 'the next apply fails with its predecessor\'s error');
      await assert.rejects(s.apply([ins(b, ['4', 'never'])]), (err) => err === first, 'and so does every apply after it');
      await s.rollback();
      await s.apply([ins(b, ['5', 'after'])]);
      await s.commit('p2');
      assert.deepEqual(await target.select('ov_b', ['id', 'v']), [['1', 'y'], ['5', 'after']]);
      await s.close();
    });

    test('a commit called while an apply is in flight runs after it, the applies after it go into the next transaction; a failed `settled` commits nothing', async () => {
      const s = sink(17);
      await s.claim(1);
      const r = await prepared(s, 'cm_ahead');
      const first = s.apply([ins(r, ['1', 'a'])]);
      const committed = s.commit('p1', first);
      const next = s.apply([ins(r, ['2', 'b'])]);
      await Promise.all([first, committed, next]);
      assert.ok((await target.checkpoints()).includes('inst-a|17|p1|1'));
      // Row 2 went into the transaction after p1: rolled back with it.
      await s.rollback();
      assert.deepEqual(await target.select('cm_ahead', ['id', 'v']), [['1', 'a']]);

      // An apply that failed before it reached this sink (a wrapper's): only `settled` knows.
      const lost = new Error('an apply failed before it reached the sink');
      const applied = s.apply([ins(r, ['3', 'c'])]);
      const refused = s.commit('p2', Promise.reject(lost));
      const after = s.apply([ins(r, ['4', 'd'])]);
      assert.deepEqual(await applied, []);
      await assert.rejects(refused, (err) => err === lost);
      await assert.rejects(after, (err) => err === lost, 'an apply queued behind a failed commit fails with it');
      await s.rollback();
      assert.ok((await target.checkpoints()).includes('inst-a|17|p1|1'), 'the checkpoint stays at p1');
      assert.deepEqual(await target.select('cm_ahead', ['id', 'v']), [['1', 'a']]);
      await s.close();
    });

    test('a unique index besides the key: a swap and a moved value apply in source order; a real conflict is still set aside', async () => {
      await target.exec(target.strictTableDdl('uorder'));
      const schema: TableSchema = { dialect: 'postgresql', columns: [col('id', INT4, true), col('u', TEXT), col('n', INT4), col('v', TEXT)] };
      const s = sink(15);
      await s.claim(1);
      const r = await prepared(s, 'uorder', schema);
      const row = (id: number, u: string): ColumnValue[] => [String(id), u, String(id), 'ok'];
      await s.apply([ins(r, row(1, 'a')), ins(r, row(2, 'b')), ins(r, row(3, 'c'))]);
      await s.commit('p1');
      // Folded per key, rows 1 and 2 would each take the other's value at once, which the index refuses in any order.
      const dirty = await s.apply([
        upd(r, row(1, 'tmp')), upd(r, row(2, 'a')), upd(r, row(1, 'b')), // a swap through a temporary value
        del(r, ['3', null, null, null]), ins(r, row(4, 'c')), // a value moving to a new row
        ins(r, row(5, 'a')), // taken by row 2: refused at the source's order too
      ]);
      assert.deepEqual(dirty.map((d) => [d.op, d.key]), [['upsert', '["5"]']]);
      await s.commit('p2');
      assert.deepEqual(await target.select('uorder', ['id', 'u']), [['1', 'b'], ['2', 'a'], ['4', 'c']]);
      assert.equal(await target.dirtyCount('inst-a', 15), 1);
      await s.close();
    });

    test('dirty records: rejected rows set aside in the same transaction, the rest applied, counted by claim', async () => {
      await target.exec(target.strictTableDdl('dirty'));
      await target.exec(`INSERT INTO tgt.dirty VALUES (1, 'taken', 1, 'one')`);
      const schema: TableSchema = { dialect: 'postgresql', columns: [col('id', INT4, true), col('u', TEXT), col('n', INT4), col('v', TEXT)] };
      const s = sink(5);
      await s.claim(1);
      const r = await prepared(s, 'dirty', schema);
      const good = (id: number): ColumnValue[] => [String(id), `u${id}`, String(id), 'ok'];
      const batch = [ins(r, good(2)), ins(r, ['5', 'taken', '5', 'x']), ins(r, ['6', 'u6', '99999', 'x']), ins(r, ['7', 'u7', '7', 'toolong']), ins(r, good(3))];
      const dirty = await s.apply(batch);
      assert.deepEqual(dirty.map((d) => [d.table, d.op, d.key]).sort(), [['tgt.dirty', 'upsert', '["5"]'], ['tgt.dirty', 'upsert', '["6"]'], ['tgt.dirty', 'upsert', '["7"]']]);
      assert.deepEqual(s.dirtyRecords().pending, 3);
      // Same transaction: a rollback takes the dirty records with it.
      await s.rollback();
      assert.equal(await target.dirtyCount('inst-a', 5), 0);
      assert.equal(s.dirtyRecords().kept, 0);
      assert.equal((await s.apply(batch)).length, 3);
      await s.apply([del(r, ['1']), upd(r, ['3', 'u3', '33', 'way too long'])]);
      await s.commit('p1');
      assert.deepEqual(s.dirtyRecords(), { ...s.dirtyRecords(), kept: 4, pending: 0 });
      assert.match(s.dirtyRecords().where, /dirty_record/);
      assert.deepEqual(await target.select('dirty', ['id', 'u', 'n', 'v']), [['2', 'u2', '2', 'ok'], ['3', 'u3', '3', 'ok']]);
      await s.destroy();
      const again = sink(5);
      assert.deepEqual(await again.claim(2), { position: 'p1', dirtyRecords: 4 });
      await again.close();
    });

    test('schema changes: applied twice give the same result; statements reported; a new column takes the source default', async () => {
      const s = sink(6);
      await s.claim(1);
      let schema: TableSchema = { dialect: 'postgresql', columns: [col('id', INT4, true), col('v', TEXT)] };
      const describe = async () => schema;
      const base = { schema: 'src', table: 'sc' };
      let n = 0;
      const twice = async (change: SchemaChange, replayRunsNothing = true) => {
        const first = await s.applySchemaChange(change, describe);
        await s.commit(`ddl-${++n}`);
        const columns = await target.columns(change.newTable?.table ?? change.table);
        const second = await s.applySchemaChange(change, describe);
        await s.commit(`ddl-${++n}`);
        assert.deepEqual(await target.columns(change.newTable?.table ?? change.table), columns, `${change.type} twice`);
        if (replayRunsNothing) assert.deepEqual(second.statements, [], `${change.type} replayed runs nothing`);
        return { first, columns };
      };
      const created = await twice({ ...base, type: 'CREATETABLE' });
      assert.match(created.first.statements.join(';'), /CREATE TABLE/);
      assert.deepEqual(created.columns.map((c) => c.split(' ')[0]), ['id', 'v']);
      const r = relOf('sc', schema);
      await s.prepareTable(r, describe);
      await s.apply([ins(r, ['1', 'a'])]);
      await s.commit('p1');

      const varchar = (n: number): Partial<SourceColumn> => ({ type: `character varying(${n})`, notNull: true, default: { kind: 'literal', value: 'web' } });
      schema = { ...schema, columns: [...schema.columns, col('channel', { kind: 'text', length: 10, fixed: false }, false, varchar(10))] };
      const added = await twice({ ...base, type: 'ADDCOLUMN', column: 'channel' });
      assert.match(added.first.statements.join(';'), /ADD COLUMN.*channel.*DEFAULT '?\(?'web'/);
      assert.deepEqual(added.first.warnings, []);
      schema = { ...schema, columns: [...schema.columns, col('made', { kind: 'timestamp', fsp: 0 }, false, { type: 'timestamp(0) without time zone', default: { kind: 'expression', sql: 'now()' } })] };
      const made = await twice({ ...base, type: 'ADDCOLUMN', column: 'made' });
      assert.match(made.first.warnings.join(' '), /made of tgt\.sc got the default now\(\).*resynchronize/);
      assert.deepEqual(await target.select('sc', ['id', 'v', 'channel']), [['1', 'a', 'web']]);

      await twice({ ...base, type: 'RENAMECOLUMN', column: 'v', newColumn: 'w' });
      schema = { ...schema, columns: schema.columns.map((c) => (c.name === 'v' ? { ...c, name: 'w' } : c.name === 'channel' ? { ...c, ...varchar(20), logical: { kind: 'text', length: 20, fixed: false } } : c)) };
      const modified = await twice({ ...base, type: 'MODIFYCOLUMN', column: 'channel' }, false);
      assert.match(modified.first.statements.join(';'), /channel/);
      await twice({ ...base, type: 'DROPCOLUMN', column: 'made' });
      assert.deepEqual((await target.columns('sc')).map((c) => c.split(' ')[0]), ['id', 'w', 'channel']);

      // After the changes the sink re-reads the target: a relation with the new columns applies.
      schema = { ...schema, columns: schema.columns.filter((c) => c.name !== 'made') };
      const r2 = relOf('sc', schema);
      await s.prepareTable(r2, describe);
      await s.apply([ins(r2, ['2', 'b', 'app'])]);
      await s.commit('p2');
      assert.deepEqual(await target.select('sc', ['id', 'w', 'channel']), [['1', 'a', 'web'], ['2', 'b', 'app']]);
      await twice({ ...base, type: 'TRUNCATETABLE' }, false);
      assert.deepEqual(await target.select('sc', ['id']), []);
      await twice({ ...base, type: 'RENAMETABLE', newTable: { schema: 'src', table: 'sc_new' } });
      assert.deepEqual(await target.columns('sc'), []);
      for (let i = 0; i < 2; i++) {
        await s.applySchemaChange({ schema: 'src', table: 'sc_new', type: 'DROPTABLE' }, describe);
        await s.commit(`drop-${i}`);
      }
      assert.deepEqual(await target.columns('sc_new'), []);
      await s.close();
    });

    test('defaults: a constant default fills the rows the table had; an implicit one only fills them; created tables carry constants', async () => {
      const s = sink(7);
      await s.claim(1);
      const withDefault = (name: string, logical: LogicalType, d: ColumnDefault, notNull = true) =>
        col(name, logical, false, { type: logical.kind === 'integer' ? 'integer' : 'text', notNull, default: d });
      let schema: TableSchema = { dialect: 'postgresql', columns: [col('id', INT4, true), withDefault('qty', INT4, { kind: 'literal', value: '7' })] };
      const describe = async () => schema;
      const r = await prepared(s, 'defs', schema);
      assert.ok((await target.columns('defs')).some((c) => /^qty .* default '?7/.test(c)), (await target.columns('defs')).join());
      await s.apply([ins(r, ['1', '1']), ins(r, ['2', '2'])]);
      await s.commit('p1');
      schema = { ...schema, columns: [...schema.columns, withDefault('note', { kind: 'text', length: 5, fixed: false }, { kind: 'literal', value: "it's", implicit: true })] };
      const out = await s.applySchemaChange({ schema: 'src', table: 'defs', type: 'ADDCOLUMN', column: 'note' }, describe);
      await s.commit('p2');
      assert.deepEqual(out.warnings, []);
      assert.deepEqual(await target.select('defs', ['id', 'note']), [['1', "it's"], ['2', "it's"]]);
      assert.ok((await target.columns('defs')).some((c) => /^note [a-z ]+$/.test(c)), 'the implicit default is not declared');
      await s.close();
    });

    test('truncate stays inside the open transaction', async () => {
      const s = sink(8);
      await s.claim(1);
      const r = await prepared(s, 'tr');
      await s.apply([ins(r, ['1', 'a']), ins(r, ['2', 'b'])]);
      await s.commit('p1');
      await s.truncate([r]);
      await s.rollback();
      assert.equal((await target.select('tr', ['id'])).length, 2);
      await s.truncate([r]);
      await s.apply([ins(r, ['3', 'c'])]);
      await s.commit('p2');
      assert.deepEqual(await target.select('tr', ['id', 'v']), [['3', 'c']]);
      await s.close();
    });

    test('two installations with the same task id on one target never fence each other; discard removes only its own', async () => {
      const [a, b] = [sink(50, 'inst-a'), sink(50, 'inst-b')];
      await a.claim(3);
      await b.claim(1); // a lower fence: another installation's task, not a stale owner
      const r = await prepared(a, 'shared');
      await b.prepareTable(r, describeOf(simple));
      await a.apply([ins(r, ['1', 'from a'])]);
      await a.commit('a-1');
      await b.apply([ins(r, ['2', 'from b']), ins(r, ['3', null])]);
      await b.commit('b-1');
      assert.deepEqual((await target.checkpoints()).filter((c) => c.includes('|50|')), ['inst-a|50|a-1|3', 'inst-b|50|b-1|1']);
      await target.exec(target.strictTableDdl('shared_dirty'));
      const sd = await prepared(b, 'shared_dirty', { dialect: 'postgresql', columns: [col('id', INT4, true), col('u', TEXT), col('n', INT4), col('v', TEXT)] });
      assert.equal((await b.apply([ins(sd, ['1', 'u', '1', 'too long'])])).length, 1);
      await b.commit('b-2');
      await a.close();
      const discard = sink(50, 'inst-a');
      await discard.discardCheckpoint();
      await discard.discardCheckpoint(); // idempotent
      assert.deepEqual((await target.checkpoints()).filter((c) => c.includes('|50|')), ['inst-b|50|b-2|1']);
      assert.equal(await target.dirtyCount('inst-b', 50), 1);
      await Promise.all([b.close(), discard.close()]);
    });

    test('the older checkpoint layout (keyed by task only) is migrated in place; its rows go to the installation that upgrades first', async () => {
      for (const sql of target.oldLayoutDdl) await target.exec(sql, 'legacy');
      const first = sink(77, 'inst-new', target.endpoint('legacy'));
      const other = sink(77, 'inst-other', target.endpoint('legacy'));
      assert.deepEqual(await first.claim(6), { position: 'old-pos', dirtyRecords: 1 });
      assert.deepEqual(await other.claim(1), { position: null, dirtyRecords: 0 });
      assert.deepEqual(await target.checkpoints('legacy'), ['inst-new|77|old-pos|6', 'inst-other|77||1']);
      assert.equal(await target.dirtyCount('inst-new', 77, 'legacy'), 1);
      await first.discardCheckpoint();
      assert.deepEqual(await target.checkpoints('legacy'), ['inst-other|77||1']);
      await Promise.all([first.close(), other.close()]);
    });

    test('permanent target errors fail at once with the GRANT that fixes them; an unreachable target stays retryable', async () => {
      const s = sink(60, 'inst-a', await target.powerlessEndpoint());
      await assert.rejects(s.claim(1), (err: Error) => {
        assert.ok(err instanceof UnrecoverableError, `${err.name}: ${err.message}`);
        assert.match(err.message, target.kind === 'postgresql' ? /GRANT CREATE ON DATABASE "fresh" TO "powerless"/ : /GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP ON `cp`\.\* TO 'powerless'@/);
        return true;
      });
      const down = sink(61, 'inst-a', { ...target.endpoint(), port: await freePort() });
      await assert.rejects(down.claim(1), (err: Error) => !(err instanceof UnrecoverableError) && /ECONNREFUSED/.test(err.message));
    });
  });
}
