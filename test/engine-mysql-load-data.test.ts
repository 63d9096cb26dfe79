/**
 * The LOAD DATA LOCAL path of the MySQL/MariaDB target (src/engine/sinks/mysql/load-data.ts),
 * against a private MariaDB: fresh rows of every type it encodes, and updates loaded with REPLACE,
 * land byte for byte as the upsert path stores them; a fresh row the target already holds (a
 * replay) ends as an upsert, or is replaced; rows the target rejects end as the same dirty records;
 * tables where REPLACE would not do what the upsert does keep the upsert; a server with
 * local_infile=OFF gets the upsert path. Whether a load ran is read from the server's Com_load counter.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { createLogger, type Logger } from '../src/logger.ts';
import { openSink } from '../src/engine/ports.ts';
import type { ChangeSink, DirtyRecord } from '../src/engine/change-sink.ts';
import type { ColumnValue, RelationInfo, RowChange } from '../src/engine/change-event.ts';
import type { LogicalType, SourceColumn, TableSchema } from '../src/engine/table-schema.ts';

let db: MariaDbInstance;
const sinks: ChangeSink[] = [];

before(async () => {
  db = await startMariaDb();
  await db.createDatabase('cp');
  await db.createDatabase('tgt');
});
after(async () => {
  for (const s of sinks) await s.destroy().catch(() => undefined);
  await db?.destroy();
});

function sink(taskId: number, logger: Logger = createLogger('silent')): ChangeSink {
  const endpoint = { host: db.host, port: db.port, database: 'cp', user: db.user, password: '' };
  const s = openSink(taskId, { kind: 'mysql', endpoint, schema: 'tgt', installationId: 'test' }, 'opendi-test', logger);
  sinks.push(s);
  return s;
}

let relId = 0;
function relOf(table: string, schema: TableSchema): RelationInfo {
  return { id: ++relId, schema: 'src', table, columns: schema.columns.map((c) => ({ name: c.name, isKey: c.isKey })) };
}
const col = (name: string, type: string, logical: LogicalType, isKey = false): SourceColumn => ({ name, type, logical, isKey, notNull: isKey });
const ins = (relation: RelationInfo, values: ColumnValue[]): RowChange => ({ op: 'insert', relation, values });
/**
 * An update of a row the batch did not insert: not fresh, so the upsert path writes it (also when
 * the row is missing), or a load with REPLACE when the table is replaceable (target-table.ts).
 */
const upd = (relation: RelationInfo, values: ColumnValue[]): RowChange => ({ op: 'update', relation, values });

/** The server's counts of LOAD DATA and INSERT statements so far (Com_load, Com_insert). */
async function counts(): Promise<{ load: number; insert: number }> {
  const rows = await db.query<{ Variable_name: string; Value: string }[]>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_load', 'Com_insert')");
  const of = (name: string) => Number(rows.find((r) => r.Variable_name === name)!.Value);
  return { load: of('Com_load'), insert: of('Com_insert') };
}

/** What `work` ran: LOAD DATA and INSERT statements. */
async function ran(work: () => Promise<unknown>): Promise<{ load: number; insert: number }> {
  const a = await counts();
  await work();
  const b = await counts();
  return { load: b.load - a.load, insert: b.insert - a.insert };
}

/** Every column as the bytes the server stores for it (text through its binary form), so a comparison is byte-exact. */
async function stored(table: string, schema: TableSchema): Promise<unknown[]> {
  const cols = schema.columns.map((c) => `HEX(CAST(\`${c.name}\` AS BINARY)) AS \`${c.name}\``).join(', ');
  return db.query(`SELECT ${cols} FROM tgt.\`${table}\` ORDER BY id`);
}

const INT = (bytes: number, unsigned = false): LogicalType => ({ kind: 'integer', bytes, unsigned });
const TEXT: LogicalType = { kind: 'text', length: null, fixed: false };

/** MySQL-dialect: the column types are created verbatim, so every loadable type is here. */
const TYPES: TableSchema = {
  dialect: 'mysql',
  columns: [
    col('id', 'int', INT(4), true),
    col('ti', 'tinyint', INT(1)), col('si', 'smallint unsigned', INT(2, true)), col('mi', 'mediumint', INT(3)),
    col('bi', 'bigint unsigned', INT(8, true)), col('bs', 'bigint', INT(8)),
    col('de', 'decimal(65,30)', { kind: 'decimal', precision: 65, scale: 30 }), col('d2', 'decimal(10,2)', { kind: 'decimal', precision: 10, scale: 2 }),
    col('fl', 'float', { kind: 'float', bytes: 4 }), col('db', 'double', { kind: 'float', bytes: 8 }),
    col('ch', 'char(10)', { kind: 'text', length: 10, fixed: true }), col('vc', 'varchar(80)', { kind: 'text', length: 80, fixed: false }),
    col('tt', 'tinytext', TEXT), col('tx', 'text', TEXT), col('mt', 'mediumtext', TEXT), col('lt', 'longtext', TEXT),
    col('en', "enum('a','b c','x\\ty')", { kind: 'enum', values: ['a', 'b c', 'x\ty'] }),
    col('st', "set('r','w','x')", { kind: 'set', values: ['r', 'w', 'x'] }),
    col('da', 'date', { kind: 'date' }), col('dt', 'datetime(6)', { kind: 'timestamp', fsp: 6 }),
    col('ts', 'timestamp(3) null', { kind: 'timestamptz', fsp: 3 }), col('tm', 'time(6)', { kind: 'time', fsp: 6 }),
    col('yr', 'year', { kind: 'year' }), col('js', 'json', { kind: 'json' }),
  ],
};

const NASTY = 'a\\b\tc\nd\re\0f \\N \\t NULL \'q\' "dq" ` 😀 漢字 \x1a\b end  ';
const TYPE_ROWS: ColumnValue[][] = [
  ['1', '-128', '65535', '-8388608', '18446744073709551615', '-9223372036854775808', '12345678901234567890123456789012345.123456789012345678901234567890',
    '-12345678.9', '3.14', '-2.2250738585072014e-308', 'ab ', NASTY, '\\N', NASTY, 'tab\there', 'x'.repeat(70_000),
    'x\ty', 'r,x', '2024-02-29', '2024-02-29 23:59:59.000001', '2038-01-19 03:14:07.999+00', '-838:59:59.000000', '2024', '{"k": [1, "\\t\\n"], "e": "😀"}'],
  ['2', '127', '0', '8388607', '0', '9223372036854775807', '-0.000000000000000000000000000001', '0.1', '-1.5e-7', '1.7976931348623157e+308',
    '', '', '', '', '', '', 'b c', '', '1000-01-01', '0001-01-01 00:00:00', '1970-01-01 00:00:01+00', '00:00:00', '1901', '[]'],
  ['3', null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null],
  ['4', 't', 'f', '0', '1', '-1', '1e3', '5', '1e10', '0', 'NULL', '\\', '\t', '\n', '\r\n', '\0', 'a', 'w', '9999-12-31', '9999-12-31 23:59:59.999999',
    '2024-01-02 03:04:05.5-08:00', '838:59:59.999999', '2155', 'null'],
];

/** A relation of `schema` whose target table has one more column than it: not replaceable, so updates take the upsert path. */
async function withExtraColumn(s: ChangeSink, table: string, schema: TableSchema): Promise<RelationInfo> {
  const wider: TableSchema = { ...schema, columns: [...schema.columns, col('extra', 'int', INT(4))] };
  await s.prepareTable(relOf(table, wider), async () => wider);
  const r = relOf(table, schema);
  await s.prepareTable(r, async () => schema);
  return r;
}

test('fresh rows and replaced rows of every encoded type: loaded, and stored byte for byte as the upsert path stores them', async () => {
  const s = sink(1);
  await s.claim(1);
  const fast = relOf('types_load', TYPES);
  const replaced = relOf('types_replace', TYPES);
  await s.prepareTable(fast, async () => TYPES);
  await s.prepareTable(replaced, async () => TYPES);
  const slow = await withExtraColumn(s, 'types_upsert', TYPES);
  assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply(TYPE_ROWS.map((v) => ins(fast, v))), [])), { load: 1, insert: 0 },
    'the fresh rows went through one verified LOAD DATA, no INSERT');
  // Rows the table holds, with other values: the updates replace them.
  await s.apply(TYPE_ROWS.map((v) => ins(replaced, [v[0], ...v.slice(1).map(() => null)])));
  await s.commit('p0');
  assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply(TYPE_ROWS.map((v) => upd(replaced, v))), [])), { load: 1, insert: 0 },
    'updates into a replaceable table went through one verified LOAD DATA .. REPLACE');
  assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply(TYPE_ROWS.map((v) => upd(slow, v))), [])), { load: 0, insert: 1 },
    'updates into a table with a column the sink does not write take the upsert path');
  await s.commit('p1');
  const got = await stored('types_load', TYPES);
  assert.equal(got.length, TYPE_ROWS.length);
  assert.deepEqual(got, await stored('types_upsert', TYPES));
  assert.deepEqual(await stored('types_replace', TYPES), got);
  // And the values are the ones sent, not just equal in both paths.
  const [r1] = await db.query<any[]>('SELECT vc, tx, tt, lt, en, ts FROM tgt.types_load WHERE id = 1');
  assert.deepEqual(r1, { vc: NASTY, tx: NASTY, tt: '\\N', lt: 'x'.repeat(70_000), en: 'x\ty', ts: '2038-01-19 03:14:07.999' });
  const [r3] = await db.query<any[]>('SELECT COUNT(*) AS n FROM tgt.types_load WHERE id = 3 AND COALESCE(ti, si, mi, bi, bs, de, d2, fl, db, ch, vc, tt, tx, mt, lt, en, st, da, dt, ts, tm, yr, js) IS NULL');
  assert.equal(Number(r3.n), 1);
  await s.close();
});

test('a value longer than a protocol packet (16 MiB) loads whole', async () => {
  const schema: TableSchema = { dialect: 'mysql', columns: [col('id', 'int', INT(4), true), col('t', 'longtext', TEXT)] };
  const s = sink(6);
  await s.claim(1);
  const r = relOf('big_value', schema);
  await s.prepareTable(r, async () => schema);
  const big = '\\\t'.repeat(3_000_000) + '😀'.repeat(2_000_000); // 6 M escaped to 12 M bytes, then 8 M bytes
  assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply([ins(r, ['1', big]), ins(r, ['2', 'small'])]), [])), { load: 2, insert: 0 },
    'the big row fills a load of its own');
  await s.commit('p1');
  const [{ n, ok }] = await db.query<any[]>('SELECT CHAR_LENGTH(t) AS n, t = ? AS ok FROM tgt.big_value WHERE id = 1', [big]);
  assert.deepEqual([n, Number(ok)], [big.length - 2_000_000, 1]);
  await s.close();
});

const SMALL: TableSchema = {
  dialect: 'mysql',
  columns: [col('id', 'int', INT(4), true), col('u', 'varchar(10)', { kind: 'text', length: 10, fixed: false }), col('n', 'smallint', INT(2)),
    col('v', 'varchar(5)', { kind: 'text', length: 5, fixed: false }), col('e', "enum('a','b')", { kind: 'enum', values: ['a', 'b'] }),
    col('d', 'date', { kind: 'date' })],
};
const good = (id: number, v = 'ok'): ColumnValue[] => [String(id), `u${id}`, String(id), v, 'a', '2024-01-01'];

test('a fresh row the target already holds (a replay) ends as an upsert, never skipped', async () => {
  const s = sink(2);
  await s.claim(1);
  const r = await withExtraColumn(s, 'replay', SMALL);
  await db.query("INSERT INTO tgt.replay VALUES (2, 'u2', 2, 'old', 'b', '2000-01-01', 7)");
  const did = await ran(async () => assert.deepEqual(await s.apply([ins(r, good(1, 'new')), ins(r, good(2, 'new')), ins(r, good(3, 'new'))]), []));
  assert.deepEqual(did, { load: 1, insert: 1 }, 'the load was tried, then the rows were upserted');
  // A failed load backs off: the next batch of the table is upserted without trying, the one after loads again.
  assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply([ins(r, good(4, 'new'))]), [])), { load: 0, insert: 1 });
  assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply([ins(r, good(5, 'new'))]), [])), { load: 1, insert: 0 });
  // A first row whose key the sink refuses: set aside, the rest loads.
  let dirty: DirtyRecord[] = [];
  assert.deepEqual(await ran(async () => { dirty = await s.apply([ins(r, ['1y', 'u1y', '1', 'x', 'a', '2024-01-01']), ins(r, good(6, 'new'))]); }), { load: 1, insert: 1 });
  assert.deepEqual(dirty.map((d) => [d.key, /not an integer/.test(d.error)]), [['["1y"]', true]]);
  await s.commit('p1');
  assert.deepEqual(await db.query('SELECT id, v, e, d FROM tgt.replay ORDER BY id'),
    [1, 2, 3, 4, 5, 6].map((id) => ({ id, v: 'new', e: 'a', d: '2024-01-01' })));
  assert.deepEqual(await db.query('SELECT extra FROM tgt.replay WHERE id = 2'), [{ extra: 7 }], 'the upsert left the column it does not write alone');
  await s.close();
});

test('a replay into a replaceable table is replaced by the load itself: no key lookup result to act on, no INSERT', async () => {
  const s = sink(7);
  await s.claim(1);
  const r = relOf('replay_replace', SMALL);
  await s.prepareTable(r, async () => SMALL);
  await db.query("INSERT INTO tgt.replay_replace VALUES (2, 'u2', 2, 'old', 'b', '2000-01-01')");
  assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply([ins(r, good(1, 'new')), ins(r, good(2, 'new')), ins(r, good(3, 'new'))]), [])),
    { load: 1, insert: 0 });
  // Fresh rows and updates of one batch share the load.
  assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply([ins(r, good(4, 'new')), upd(r, good(1, 'upd')), upd(r, good(9, 'upd'))]), [])),
    { load: 1, insert: 0 });
  await s.commit('p1');
  assert.deepEqual(await db.query('SELECT id, v, e, d FROM tgt.replay_replace ORDER BY id'),
    [[1, 'upd'], [2, 'new'], [3, 'new'], [4, 'new'], [9, 'upd']].map(([id, v]) => ({ id, v, e: 'a', d: '2024-01-01' })));
  await s.close();
});

test('REPLACE only where it does what the upsert does: a trigger, a foreign key referring to the table, a second unique index keep the upsert', async () => {
  const s = sink(8);
  await s.claim(1);
  await db.query('CREATE TABLE tgt.audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20))');
  await db.query(`CREATE TABLE tgt.trig (id INT PRIMARY KEY, u VARCHAR(10), n SMALLINT, v VARCHAR(5), e ENUM('a','b'), d DATE)`);
  await db.query("CREATE TRIGGER tgt.trig_upd AFTER UPDATE ON tgt.trig FOR EACH ROW INSERT INTO tgt.audit (what) VALUES (CONCAT('update ', NEW.id))");
  await db.query("CREATE TRIGGER tgt.trig_del AFTER DELETE ON tgt.trig FOR EACH ROW INSERT INTO tgt.audit (what) VALUES (CONCAT('delete ', OLD.id))");
  await db.query(`CREATE TABLE tgt.parent (id INT PRIMARY KEY, u VARCHAR(10), n SMALLINT, v VARCHAR(5), e ENUM('a','b'), d DATE)`);
  await db.query('CREATE TABLE tgt.child (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES tgt.parent (id) ON DELETE CASCADE)');
  await db.query(`CREATE TABLE tgt.uniq (id INT PRIMARY KEY, u VARCHAR(10) UNIQUE, n SMALLINT, v VARCHAR(5), e ENUM('a','b'), d DATE)`);
  for (const table of ['trig', 'parent', 'uniq']) await db.query(`INSERT INTO tgt.${table} VALUES (1, 'u1', 1, 'old', 'b', '2000-01-01')`);
  await db.query('INSERT INTO tgt.child VALUES (10, 1)');
  for (const table of ['trig', 'parent', 'uniq']) {
    const r = relOf(table, SMALL);
    await s.prepareTable(r, async () => SMALL);
    const did = await ran(async () => assert.deepEqual(await s.apply([upd(r, good(1, 'upd'))]), []));
    // The trigger's own INSERT counts too.
    assert.deepEqual(did, { load: 0, insert: table === 'trig' ? 2 : 1 }, table);
  }
  await s.commit('p1');
  for (const table of ['trig', 'parent', 'uniq']) assert.deepEqual(await db.query(`SELECT id, v FROM tgt.${table}`), [{ id: 1, v: 'upd' }], table);
  assert.deepEqual(await db.query('SELECT what FROM tgt.audit'), [{ what: 'update 1' }], 'the row was updated, not deleted and inserted');
  assert.deepEqual(await db.query('SELECT id, pid FROM tgt.child'), [{ id: 10, pid: 1 }], 'the child row is untouched');
  await s.close();
});

const REJECTED: ColumnValue[][] = [
  ['11', 'u11', '99999', 'x', 'a', '2024-01-01'], // out of range for SMALLINT
  ['12', 'u12', '12', 'toolong', 'a', '2024-01-01'], // too long for VARCHAR(5)
  ['13', 'u13', '13', 'x', 'zz', '2024-01-01'], // not an ENUM label
  ['14', 'u14', '14', 'x', 'a', '2024-02-30'], // no such date
  ['15', 'u15', 'x15', 'x', 'a', '2024-01-01'], // refused by the sink itself (not an integer)
  ['1x', 'u1x', '1', 'x', 'a', '2024-01-01'], // a key the sink refuses
  ['16', 'taken', '16', 'x', 'a', '2024-01-01'], // secondary unique conflict
];

test('rows the target rejects end as the same dirty records as on the upsert path; the good rows load', async () => {
  const s = sink(3);
  await s.claim(1);
  const results: DirtyRecord[][] = [];
  for (const [table, change] of [['rejects_load', ins], ['rejects_upsert', upd]] as const) {
    // The unique index makes the table not replaceable: updates take the upsert path.
    await db.query(`CREATE TABLE tgt.${table} (id INT PRIMARY KEY, u VARCHAR(10) UNIQUE, n SMALLINT, v VARCHAR(5), e ENUM('a','b'), d DATE) DEFAULT CHARSET=utf8mb4`);
    await db.query(`INSERT INTO tgt.${table} VALUES (1, 'taken', 1, 'one', 'a', '2020-01-01')`);
    const r = relOf(table, SMALL);
    await s.prepareTable(r, async () => SMALL);
    const did = await ran(async () => results.push(await s.apply([change(r, good(10)), ...REJECTED.map((v) => change(r, v)), change(r, good(17))])));
    // The table has a unique index besides its key: with rows set aside, its part of the batch is applied again
    // change by change in source order (checkpointed-sink.ts), where single fresh rows may load again.
    if (change === ins) assert.ok(did.load >= 1, 'the fresh rows went the load path'); else assert.equal(did.load, 0);
  }
  await s.commit('p1');
  const strip = (list: DirtyRecord[]) => list.map((d) => ({ ...d, table: '', error: d.error.replace(/rejects_(load|upsert)/, 'T') })).sort((a, b) => a.key.localeCompare(b.key));
  assert.deepEqual(strip(results[0]), strip(results[1]));
  assert.deepEqual(results[0].map((d) => d.key).sort(), ['["11"]', '["12"]', '["13"]', '["14"]', '["15"]', '["16"]', '["1x"]']);
  assert.match(results[0].find((d) => d.key === '["12"]')!.error, /Data too long/);
  assert.match(results[0].find((d) => d.key === '["16"]')!.error, /Duplicate entry 'taken'/);
  for (const table of ['rejects_load', 'rejects_upsert']) {
    assert.deepEqual(await db.query(`SELECT id, u, v FROM tgt.${table} ORDER BY id`),
      [{ id: 1, u: 'taken', v: 'one' }, { id: 10, u: 'u10', v: 'ok' }, { id: 17, u: 'u17', v: 'ok' }]);
  }
  // Updates into a replaceable table: the load with REPLACE does not verify, is rolled back, and the
  // upsert path sets the same rows aside (the unique conflict cannot happen there: no such index).
  const r = relOf('rejects_replace', SMALL);
  await s.prepareTable(r, async () => SMALL);
  await db.query("INSERT INTO tgt.rejects_replace VALUES (11, 'u11', 1, 'one', 'a', '2020-01-01')");
  let dirty: DirtyRecord[] = [];
  const did = await ran(async () => { dirty = await s.apply([upd(r, good(10)), ...REJECTED.slice(0, -1).map((v) => upd(r, v)), upd(r, good(17))]); });
  assert.ok(did.load >= 1 && did.insert >= 1, 'the load was tried, then the upsert path');
  assert.deepEqual(strip(dirty.map((d) => ({ ...d, error: d.error.replace(/rejects_replace/, 'rejects_load') }))), strip(results[1]).filter((d) => d.key !== '["16"]'));
  await s.commit('p2');
  assert.deepEqual(await db.query('SELECT id, v FROM tgt.rejects_replace ORDER BY id'), [{ id: 10, v: 'ok' }, { id: 11, v: 'one' }, { id: 17, v: 'ok' }]);
  await s.close();
});

test('a table with a column the load does not encode (BLOB) keeps the upsert path', async () => {
  const schema: TableSchema = { dialect: 'mysql', columns: [col('id', 'int', INT(4), true), col('b', 'blob', { kind: 'binary', length: 65535, fixed: false })] };
  const s = sink(4);
  await s.claim(1);
  const r = relOf('with_blob', schema);
  await s.prepareTable(r, async () => schema);
  assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply([ins(r, ['1', '\\x00ff'])]), [])), { load: 0, insert: 1 });
  await s.commit('p1');
  assert.deepEqual(await db.query('SELECT id, HEX(b) AS b FROM tgt.with_blob'), [{ id: 1, b: '00FF' }]);
  await s.close();
});

test('a server with local_infile=OFF: the rows are upserted, and the session stops trying after telling once', async () => {
  const infos: string[] = [];
  const logger: Logger = { info: (m) => infos.push(m), warn: () => undefined, error: () => undefined, child: () => logger };
  await db.query('SET GLOBAL local_infile = 0');
  try {
    const s = sink(5, logger);
    await s.claim(1);
    const r = relOf('infile_off', SMALL);
    await s.prepareTable(r, async () => SMALL);
    assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply([ins(r, good(1)), ins(r, good(2))]), [])), { load: 1, insert: 1 });
    assert.deepEqual(await ran(async () => assert.deepEqual(await s.apply([ins(r, good(3))]), [])), { load: 0, insert: 1 });
    await s.commit('p1');
    assert.deepEqual(await db.query('SELECT id FROM tgt.infile_off ORDER BY id'), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    assert.equal(infos.filter((m) => /LOAD DATA LOCAL/.test(m)).length, 1);
    await s.close();
  } finally {
    await db.query('SET GLOBAL local_infile = 1');
  }
});
