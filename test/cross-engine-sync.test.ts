/**
 * MySQL/MariaDB <-> PostgreSQL real-time tasks through the API (issue 3), against private
 * MariaDB and PostgreSQL servers: every direction with values compared exactly, full then
 * incremental with writes during the copy, dirty records under errorLimit, ddlMarkMap, a purged
 * binlog, a MariaDB restart while streaming, a start position, and progress in
 * GetDISyncInstanceInfo. Target equals source after every scenario.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenDIService } from './harness/opendi-service.ts';
import type { PgInstance } from './harness/postgres.ts';
import type { MariaDbInstance } from './harness/mariadb.ts';
import { startCrossEngineEnv, type CrossEngineEnv } from './harness/cross-engine-env.ts';
import {
  addMySqlDataSource, addPostgresDataSource, createDeployedTask, expectApiError, createWorkspace, instanceInfo, realtimeScript,
  taskCall, waitForStatus, waitUntil, withDb, type ScriptOptions,
} from './harness/realtime-scenario.ts';

let env: CrossEngineEnv;
let pgi: PgInstance;
let mdb: MariaDbInstance;
let svc: OpenDIService;
let projectId: number;

before(async () => {
  // Idle tasks commit their caught-up position every 3 s here, not every minute (the idle-slot test waits for it).
  env = await startCrossEngineEnv({ OPENDI_IDLE_CHECKPOINT_MS: '3000' });
  ({ pgi, mdb, svc } = env);
  projectId = await createWorkspace(svc.client(), 'ws_cross');
});
after(async () => { await env?.destroy(); });

type Side = { kind: 'mysql' | 'postgresql'; db: string; name: string };

/** A fresh database on each side with the DDL given per side, and data sources for both. */
async function sides(name: string, source: 'mysql' | 'postgresql', target: 'mysql' | 'postgresql', ddl: { mysql?: string; postgresql?: string }) {
  const make = async (kind: 'mysql' | 'postgresql', role: string): Promise<Side> => {
    const db = `${name}_${role}`;
    if (kind === 'mysql') {
      await mdb.createDatabase(db);
      if (role === 'src' && ddl.mysql) for (const stmt of ddl.mysql.split(';').filter((s) => s.trim())) await mdb.query(stmt, [], db);
      await addMySqlDataSource(svc.client(), projectId, db, mdb, db);
    } else {
      await pgi.createDatabase(db);
      if (role === 'src' && ddl.postgresql) await withDb(pgi, db, (c) => c.query(ddl.postgresql!));
      await addPostgresDataSource(svc.client(), projectId, db, pgi, db);
    }
    return { kind, db, name: db };
  };
  return { src: await make(source, 'src'), dst: await make(target, 'dst') };
}

async function deployAndStart(name: string, s: { src: Side; dst: Side }, tables: string[], opts: Omit<ScriptOptions, 'reader' | 'writer'> = {}, startParam: object = {}) {
  const client = svc.client();
  const fileId = await createDeployedTask(client, projectId, name, realtimeScript(s.src.name, s.dst.name, tables, { ...opts, reader: s.src.kind, writer: s.dst.kind }));
  const started = await taskCall(client, 'StartDISyncInstance', projectId, fileId, { StartParam: JSON.stringify({ failoverLimit: { count: 5, interval: 10 }, ...startParam }) });
  assert.equal(started.Data.Status, 'success', started.Data.Message);
  await waitForStatus(client, projectId, fileId, ['RUN']);
  return fileId;
}

/** Rows as text, one canonical string per row, from a SELECT list written for each dialect. */
async function rowsOf(side: Side, select: string): Promise<string[]> {
  if (side.kind === 'mysql') {
    const rows = await mdb.query<Record<string, unknown>[]>(select, [], side.db);
    return rows.map((r) => JSON.stringify(Object.values(r).map((v) => (v === null ? null : String(v))))).sort();
  }
  return withDb(pgi, side.db, async (c) => (await c.query({ text: select, rowMode: 'array' })).rows.map((r: unknown[]) => JSON.stringify(r.map((v) => (v === null ? null : String(v))))).sort());
}

async function waitEqual(a: Side, selectA: string, b: Side, selectB: string, timeoutMs = 40_000): Promise<string[]> {
  let x: string[] = [];
  let y: string[] = [];
  try {
    return await waitUntil(async () => {
      [x, y] = await Promise.all([rowsOf(a, selectA), rowsOf(b, selectB)]);
      return JSON.stringify(x) === JSON.stringify(y) && x;
    }, timeoutMs, 'target equal to source');
  } catch (err) {
    const missing = x.filter((r) => !y.includes(r)).slice(0, 3);
    const extra = y.filter((r) => !x.includes(r)).slice(0, 3);
    throw new Error(`${(err as Error).message}: source ${x.length} rows, target ${y.length}; only in source ${JSON.stringify(missing)}, only in target ${JSON.stringify(extra)}`);
  }
}

const MYSQL_TYPES = `
  CREATE TABLE items (
    id BIGINT UNSIGNED PRIMARY KEY, qty INT, big BIGINT, small TINYINT, flag TINYINT(1), price DECIMAL(30,10), ratio DOUBLE, f FLOAT,
    name VARCHAR(100), code CHAR(3), body LONGTEXT, raw VARBINARY(16), blobby BLOB, made DATE, at DATETIME(6), ts TIMESTAMP(3) NULL,
    dur TIME, yr YEAR, doc JSON, kind ENUM('a','b','c'), bits BIT(10)
  ) DEFAULT CHARSET=utf8mb4`;
/** The same values as text on both sides. */
const MYSQL_ITEMS = `SELECT CAST(id AS CHAR), CAST(qty AS CHAR), CAST(big AS CHAR), CAST(small AS CHAR), CAST(flag AS CHAR), CAST(price AS CHAR), CAST(ratio AS CHAR), CAST(CAST(f AS DOUBLE) AS CHAR),
  name, code, body, LOWER(HEX(raw)), LOWER(HEX(blobby)), CAST(made AS CHAR), DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), CAST(UNIX_TIMESTAMP(ts) AS CHAR),
  CAST(dur AS CHAR), CAST(yr AS CHAR), CAST(doc AS CHAR), kind, LPAD(BIN(bits), 10, '0') FROM items`;
const PG_ITEMS = `SELECT id::text, qty::text, big::text, small::text, flag::text, price::text, ratio::text, f::float8::text,
  name, rtrim(code), body, encode(raw, 'hex'), encode(blobby, 'hex'), made::text, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'), extract(epoch FROM ts)::numeric(20,3)::text,
  dur::text, yr::text, doc::text, kind, bits::text FROM public.items`;

function insertItems(from: number, to: number): string {
  const rows: string[] = [];
  for (let i = from; i <= to; i++) {
    rows.push(`(${i}, ${i % 2 ? -i : i}, ${i * 1_000_003}, ${i % 128}, ${i % 2}, '${i}.0123456789', ${i / 7}, ${i / 3}, 'name ${i} 😀 ünï', 'c${i % 10}x', ${i % 5 ? `'${'body '.repeat(i % 50)}'` : 'NULL'},
      UNHEX('${(i * 7919).toString(16).padStart(8, '0')}00'), UNHEX(REPEAT('ab', ${i % 30})), '2024-02-${String(1 + (i % 28)).padStart(2, '0')}',
      '2024-03-04 05:06:07.${String(i % 1_000_000).padStart(6, '0')}', '2024-05-06 07:08:09.${String(i % 1000).padStart(3, '0')}', '${String(i % 24).padStart(2, '0')}:30:00', ${1990 + (i % 50)},
      '{"i": ${i}, "s": "x\\\\"y"}', '${'abc'[i % 3]}', b'${(i % 1024).toString(2)}')`);
  }
  return `INSERT INTO items VALUES ${rows.join(',\n')}`;
}

test('MySQL -> PostgreSQL: full load with writes during the copy, then incremental; values exact; progress reported', async () => {
  const s = await sides('m2p', 'mysql', 'postgresql', { mysql: MYSQL_TYPES });
  await mdb.query(insertItems(1, 3000), [], s.src.db);
  await mdb.query(`INSERT INTO items (id, qty, big, small, flag, price, ratio, f, name, code, raw, made, at, ts, dur, yr, doc, kind, bits)
    VALUES (18446744073709551615, -2147483648, -9223372036854775808, -128, 1, '-99999999999999999999.9999999999', 12345.678901234567, -3.25,
      '𝄞 four-byte', '   ', UNHEX('00000000'), '1000-01-01', '9999-12-31 23:59:59.999999', '2030-01-19 03:14:07.999', '23:59:59', 2155, 'null', 'c', b'1111111111')`, [], s.src.db);
  const fileId = await deployAndStart('m2p_task', s, [`${s.src.db}.items`], { setting: { initialLoad: true } });
  // Writes racing the copy: updates, deletes and inserts on both sides of the copy's progress.
  await mdb.query(`UPDATE items SET qty = qty + 1000, name = CONCAT(name, ' upd') WHERE id % 3 = 0 AND id < 10000`, [], s.src.db);
  await mdb.query(`DELETE FROM items WHERE id % 11 = 0 AND id < 10000`, [], s.src.db);
  await mdb.query(insertItems(3001, 3500), [], s.src.db);
  const rows = await waitEqual(s.src, MYSQL_ITEMS, s.dst, PG_ITEMS);
  assert.ok(rows.length > 3000);
  const info = await instanceInfo(svc.client(), projectId, fileId);
  assert.equal(info.Metrics.Phase, 'INCREMENTAL');
  assert.ok(info.Metrics.RowsLoaded >= 3000, `rows loaded ${info.Metrics.RowsLoaded}`);
  assert.equal(info.Metrics.DirtyRecords, 0);
  assert.equal(info.SolutionInfo, null, 'the SDK documents null for DI_REALTIME');
  assert.match(info.Message, /^incremental; .*rows loaded \(1 tables\)/, 'SDK users read the progress in Message');
  // Caught up with an idle source: no delay.
  await waitUntil(async () => (await instanceInfo(svc.client(), projectId, fileId)).Metrics.DelaySeconds === 0 || undefined, 10_000, 'delay 0 once caught up');

  // Throughput of the incremental path (reported in the issue note).
  const t0 = Date.now();
  await mdb.query(`INSERT INTO items (id, qty, name) SELECT seq + 100000, seq, CONCAT('bulk ', seq) FROM seq_1_to_100000`, [], s.src.db);
  await waitEqual(s.src, `SELECT COUNT(*) FROM items`, s.dst, `SELECT count(*) FROM public.items`, 120_000);
  console.log(`# MySQL -> PostgreSQL: 100000 rows in ${Date.now() - t0} ms (${Math.round(100_000 / ((Date.now() - t0) / 1000))} rows/s)`);
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  await mdb.query(`UPDATE items SET name = 'while stopped' WHERE id > 100000 AND id <= 100100`, [], s.src.db);
  await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId);
  await waitEqual(s.src, MYSQL_ITEMS, s.dst, PG_ITEMS, 60_000);
  // The resumed instance copies nothing, but the task's full-load figures are those of the copy.
  const resumed = await instanceInfo(svc.client(), projectId, fileId);
  assert.equal(resumed.Metrics.RowsLoaded, info.Metrics.RowsLoaded, 'rows loaded survive Stop/Start');
  assert.equal(resumed.Metrics.TablesLoaded, info.Metrics.TablesLoaded, 'tables loaded survive Stop/Start');
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('MySQL -> MySQL: full load, then incremental; the created table is an exact copy and values are exact', async () => {
  const s = await sides('m2m', 'mysql', 'mysql', { mysql: MYSQL_TYPES });
  await mdb.query(insertItems(1, 1500), [], s.src.db);
  const fileId = await deployAndStart('m2m_task', s, [`${s.src.db}.items`], { setting: { initialLoad: true } });
  await mdb.query(`UPDATE items SET qty = -qty, at = NULL WHERE id % 4 = 0`, [], s.src.db);
  await mdb.query(`DELETE FROM items WHERE id % 9 = 0`, [], s.src.db);
  await mdb.query(insertItems(1501, 2000), [], s.src.db);
  await waitEqual(s.src, MYSQL_ITEMS, s.dst, MYSQL_ITEMS);
  const columnTypes = (db: string) => mdb.query<{ c: string; t: string }[]>(
    `SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'items' ORDER BY ORDINAL_POSITION`, [db]);
  assert.deepEqual(await columnTypes(s.dst.db), await columnTypes(s.src.db));
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

const PG_TYPES = `
  CREATE TABLE public.items (
    id bigint PRIMARY KEY, qty integer, small smallint, flag boolean, price numeric(30,10), ratio double precision, f real,
    name text, code character(3), label varchar(40), raw bytea, made date, at timestamp(6), ts timestamptz(3), dur time, doc jsonb, uid uuid, bits bit(10));`;
const PG_SIDE = `SELECT id::text, qty::text, small::text, CASE WHEN flag THEN '1' WHEN NOT flag THEN '0' END, price::text, ratio::text, f::float8::text,
  name, rtrim(code), label, encode(raw, 'hex'), made::text, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'), to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), to_char(date '2000-01-01' + dur, 'HH24:MI:SS.US'), doc::text, uid::text, bits::text FROM public.items`;
const MYSQL_SIDE = `SELECT CAST(id AS CHAR), CAST(qty AS CHAR), CAST(small AS CHAR), CAST(flag AS CHAR), CAST(price AS CHAR), CAST(ratio AS CHAR), CAST(CAST(f AS DOUBLE) AS CHAR),
  name, code, label, LOWER(HEX(raw)), CAST(made AS CHAR), DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(dur, '%H:%i:%s.%f'), CAST(doc AS CHAR), uid, LPAD(BIN(bits), 10, '0') FROM items`;

test('PostgreSQL -> MySQL: full load, then incremental; values exact', async () => {
  const s = await sides('p2m', 'postgresql', 'mysql', { postgresql: PG_TYPES });
  const fill = (from: number, to: number) => withDb(pgi, s.src.db, (c) => c.query(`INSERT INTO items
    SELECT g, g * (CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END), g % 100, g % 3 = 0, g * 1.0000000001, g / 7.0, g / 3.0, 'name ' || g || ' 😀 ünï',
      'c' || (g % 10), 'label ' || g, decode(lpad(to_hex(g), 8, '0') || '00', 'hex'), date '2024-01-01' + g % 300,
      timestamp '2024-03-04 05:06:07' + g * interval '1.000001 second', timestamptz '2024-05-06 07:08:09.123+05:30' + g * interval '1 minute',
      time '00:00:00' + g * interval '1 second', jsonb_build_object('g', g, 's', 'x"y'), md5(g::text)::uuid, (g % 1024)::bit(10)
    FROM generate_series($1::int, $2::int) g`, [from, to]));
  await fill(1, 3000);
  const fileId = await deployAndStart('p2m_task', s, ['public.items'], { setting: { initialLoad: true } });
  await withDb(pgi, s.src.db, async (c) => {
    await c.query(`UPDATE items SET name = name || ' upd', flag = NOT flag WHERE id % 3 = 0`);
    await c.query(`DELETE FROM items WHERE id % 11 = 0`);
    await c.query(`INSERT INTO items (id, qty, price, name, ts) VALUES (9223372036854775807, -2147483648, -99999999999999999999.9999999999, '𝄞', '2000-01-01 00:00:00+14')`);
  });
  await fill(3001, 3500);
  await waitEqual(s.src, PG_SIDE, s.dst, MYSQL_SIDE);
  const t0 = Date.now();
  await fill(10_001, 110_000);
  await waitEqual(s.src, `SELECT count(*) FROM items`, s.dst, `SELECT COUNT(*) FROM items`, 120_000);
  console.log(`# PostgreSQL -> MySQL: 100000 rows in ${Date.now() - t0} ms (${Math.round(100_000 / ((Date.now() - t0) / 1000))} rows/s)`);
  await waitEqual(s.src, PG_SIDE, s.dst, MYSQL_SIDE);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('errorLimit: rows the target rejects are dirty records, counted and kept, others flow; one past the limit fails the task', async () => {
  const s = await sides('dirty', 'mysql', 'postgresql', { mysql: `
    CREATE TABLE orders (id INT PRIMARY KEY, qty INT, dur TIME);
    CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)` });
  // The target is stricter than the source: a CHECK the source does not have.
  await withDb(pgi, s.dst.db, (c) => c.query(`CREATE TABLE public.orders (id integer PRIMARY KEY, qty integer CHECK (qty >= 0), dur time)`));
  const fileId = await deployAndStart('dirty_task', s, [`${s.src.db}.orders`, `${s.src.db}.notes`], {}, { errorLimit: { record: 3 } });
  await mdb.query(`INSERT INTO orders VALUES (1, 5, '01:00:00'), (2, -1, '02:00:00'), (3, 7, '-838:59:59'), (4, 9, NULL)`, [], s.src.db);
  await mdb.query(`INSERT INTO notes VALUES (1, 'a'), (2, 'b')`, [], s.src.db);
  await waitEqual(s.src, `SELECT id, body FROM notes`, s.dst, `SELECT id::text, body FROM public.notes`);
  await waitEqual(s.src, `SELECT id, qty FROM orders WHERE id IN (1, 4)`, s.dst, `SELECT id::text, qty::text FROM public.orders`);
  const info = await waitUntil(async () => {
    const i = await instanceInfo(svc.client(), projectId, fileId);
    return i.Metrics.DirtyRecords === 2 && i;
  }, 20_000, 'two dirty records reported');
  assert.equal(info.Status, 'RUN');
  assert.equal(info.Metrics.Phase, 'INCREMENTAL');
  assert.match(info.Message, /2 dirty records/);
  const kept = await withDb(pgi, s.dst.db, async (c) => (await c.query(`SELECT table_name, op, row_key, error FROM opendi.dirty_record WHERE task_id = $1 ORDER BY row_key`, [fileId])).rows);
  assert.deepEqual(kept.map((r) => [r.table_name, r.op, r.row_key]), [['public.orders', 'upsert', '["2"]'], ['public.orders', 'upsert', '["3"]']]);
  assert.match(kept[0].error, /check constraint/);

  // Stop and start: the count survives (it lives in the target with the checkpoint).
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  assert.equal((await instanceInfo(svc.client(), projectId, fileId)).Metrics.DirtyRecords, 2);
  await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId, { StartParam: JSON.stringify({ errorLimit: { record: 3 } }) });
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await mdb.query(`INSERT INTO orders VALUES (5, -5, NULL)`, [], s.src.db); // 3: still within the limit
  await mdb.query(`INSERT INTO orders VALUES (6, 1, NULL), (7, -7, NULL)`, [], s.src.db); // 4: over it
  const failed = await waitForStatus(svc.client(), projectId, fileId, ['FAILED']);
  assert.match(failed.Message, /errorLimit\.record \(3\)/);
  assert.match(failed.Message, /rejected a row of public\.orders \(upsert\): .*check constraint.* That row was not kept: the target transaction holding it .*was rolled back/);
  // The message says how many rejected rows are kept and where; the target holds exactly those.
  const claimed = /(\d+) row\(s\) rejected earlier are kept in opendi\.dirty_record in database "dirty_dst" \(installation_id '[^']+', task_id (\d+)\)/.exec(failed.Message);
  assert.ok(claimed, failed.Message);
  assert.equal(Number(claimed[2]), fileId);
  const keptRows = await withDb(pgi, s.dst.db, async (c) => (await c.query(`SELECT row_key FROM opendi.dirty_record WHERE task_id = $1`, [fileId])).rows);
  assert.equal(keptRows.length, Number(claimed[1]));
  assert.ok(!keptRows.some((r) => r.row_key === '["7"]'), 'the row over the limit is not kept');
  assert.equal(failed.Metrics.DirtyRecords, 4);
  // Dirty rows are logged by table, op and error; their keys stay in the target.
  assert.match(svc.log, /dirty record skipped/);
  assert.doesNotMatch(svc.log, /"key":"\[/);
  // The failing batch was not committed: the good row of that transaction is not in the target either.
  assert.deepEqual(await rowsOf(s.dst, `SELECT id::text FROM public.orders ORDER BY id`), ['["1"]', '["4"]']);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('ddlMarkMap on MySQL -> MySQL: NORMAL applies, IGNORE skips, WARNING records an alert, CRITICAL fails; other tables never disturb', async () => {
  const s = await sides('ddl', 'mysql', 'mysql', { mysql: `
    CREATE TABLE t1 (id INT PRIMARY KEY, qty INT, note VARCHAR(20), old_name VARCHAR(10));
    CREATE TABLE other (id INT PRIMARY KEY)` });
  const fileId = await deployAndStart('ddl_task', s, [`${s.src.db}.t1`], {}, {
    ddlMarkMap: { DROPCOLUMN: 'NORMAL', TRUNCATETABLE: 'IGNORE', RENAMECOLUMN: 'WARNING', MODIFYCOLUMN: 'CRITICAL' },
  });
  const q = (sql: string) => mdb.query(sql, [], s.src.db);
  await q(`INSERT INTO t1 VALUES (1, 1, 'a', 'x'), (2, 2, 'b', 'y')`);
  await q(`ALTER TABLE t1 ADD COLUMN extra VARCHAR(20)`); // default NORMAL
  await q(`INSERT INTO t1 (id, qty, note, extra) VALUES (3, 3, 'c', 'new col')`);
  await q(`ALTER TABLE other ADD COLUMN z INT`);
  await q(`DROP TABLE other`); // outside the task
  await q(`ALTER TABLE t1 DROP COLUMN note`);
  const cols = `SELECT id, qty, old_name, extra FROM t1`;
  await waitEqual(s.src, cols, s.dst, cols);
  const targetColumns = async () => (await mdb.query<{ c: string }[]>(
    `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't1' ORDER BY ORDINAL_POSITION`, [s.dst.db])).map((r) => r.c);
  // The rows can be equal before the DROP COLUMN, the last event, has reached the target.
  const wanted = JSON.stringify(['id', 'qty', 'old_name', 'extra']);
  await waitUntil(async () => JSON.stringify(await targetColumns()) === wanted || undefined, 20_000, `target columns ${wanted}`);
  assert.deepEqual(await targetColumns(), ['id', 'qty', 'old_name', 'extra']);

  await q(`TRUNCATE TABLE t1`); // IGNORE: the target keeps its rows
  await q(`INSERT INTO t1 (id, qty) VALUES (10, 10)`);
  await waitEqual(s.src, `SELECT COUNT(*) FROM t1 WHERE id = 10`, s.dst, `SELECT COUNT(*) FROM t1 WHERE id = 10`);
  assert.deepEqual(await rowsOf(s.dst, `SELECT COUNT(*) FROM t1`), ['["4"]']);

  await q(`ALTER TABLE t1 RENAME COLUMN old_name TO new_name`); // WARNING: skipped, alert recorded
  const info = await waitUntil(async () => {
    const i = await instanceInfo(svc.client(), projectId, fileId);
    return i.Metrics.AlertCount === 1 && i;
  }, 20_000, 'an alert for the skipped RENAMECOLUMN');
  assert.equal(info.Status, 'RUN');
  assert.equal(info.Metrics.Alerts[0].type, 'RENAMECOLUMN');
  assert.match(info.Metrics.Alerts[0].message, /old_name/);
  assert.ok((await targetColumns()).includes('old_name'));

  await q(`ALTER TABLE t1 MODIFY COLUMN qty BIGINT`); // CRITICAL
  const failed = await waitForStatus(svc.client(), projectId, fileId, ['FAILED']);
  assert.match(failed.Message, /MODIFYCOLUMN on .*t1 is marked CRITICAL/);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('a binlog purged while the task is stopped gives FAILED saying what happened and what to do; Terminate + Start with the initial load recovers', async () => {
  const s = await sides('purge', 'mysql', 'postgresql', { mysql: `CREATE TABLE t (id INT PRIMARY KEY, v TEXT)` });
  const fileId = await deployAndStart('purge_task', s, [`${s.src.db}.t`], { setting: { initialLoad: true } });
  await mdb.query(`INSERT INTO t VALUES (1, 'a')`, [], s.src.db);
  const select = `SELECT id, v FROM t`;
  const pgSelect = `SELECT id::text, v FROM public.t`;
  await waitEqual(s.src, select, s.dst, pgSelect);
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  await mdb.query(`INSERT INTO t VALUES (2, 'lost unless resynchronized')`, [], s.src.db);
  // MariaDB keeps a binlog until its binlog checkpoint has passed it (InnoDB flushed): retry.
  await waitUntil(async () => {
    await mdb.query(`FLUSH BINARY LOGS`);
    const [{ File: current }] = await mdb.query<{ File: string }[]>(`SHOW MASTER STATUS`);
    await mdb.query(`PURGE BINARY LOGS TO '${current}'`);
    const logs = await mdb.query<{ Log_name: string }[]>(`SHOW BINARY LOGS`);
    return logs.length === 1 || undefined;
  }, 20_000, 'older binlogs purged');
  await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId);
  const failed = await waitForStatus(svc.client(), projectId, fileId, ['FAILED']);
  assert.match(failed.Message, /purged/);
  assert.match(failed.Message, /TerminateDISyncInstance/);
  assert.deepEqual(await rowsOf(s.dst, pgSelect), ['["1","a"]']); // no silent jump past the lost change

  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
  await taskCall(svc.client(), 'DeployDISyncTask', projectId, fileId);
  await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await waitEqual(s.src, select, s.dst, pgSelect);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('a MariaDB restart while streaming is survived within the failover limit; nothing lost or doubled', async () => {
  const s = await sides('restart', 'mysql', 'postgresql', { mysql: `CREATE TABLE t (id INT PRIMARY KEY, v INT)` });
  const fileId = await deployAndStart('restart_task', s, [`${s.src.db}.t`]);
  await mdb.query(`INSERT INTO t SELECT seq, seq FROM seq_1_to_5000`, [], s.src.db);
  await mdb.kill();
  await mdb.start();
  await mdb.query(`INSERT INTO t SELECT seq, seq FROM seq_5001_to_8000`, [], s.src.db);
  await mdb.query(`UPDATE t SET v = -v WHERE id % 2 = 0`, [], s.src.db);
  await waitEqual(s.src, `SELECT id, v FROM t`, s.dst, `SELECT id::text, v::text FROM public.t`, 60_000);
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('StartParam.startPosition starts from a chosen source position or point in time instead of the checkpoint', async () => {
  const s = await sides('startpos', 'mysql', 'postgresql', { mysql: `CREATE TABLE t (id INT PRIMARY KEY)` });
  const fileId = await deployAndStart('startpos_task', s, [`${s.src.db}.t`]);
  await mdb.query(`INSERT INTO t VALUES (1)`, [], s.src.db);
  await waitEqual(s.src, `SELECT id FROM t`, s.dst, `SELECT id::text FROM public.t`);
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  await mdb.query(`INSERT INTO t VALUES (2)`, [], s.src.db); // skipped by the chosen position
  const [{ File, Position }] = await mdb.query<{ File: string; Position: number }[]>(`SHOW MASTER STATUS`);
  await mdb.query(`INSERT INTO t VALUES (3)`, [], s.src.db);
  await expectApiError(taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId, { StartParam: JSON.stringify({ startPosition: { position: 42 } }) }),
    400, 'Param.Invalid', 'StartParam.startPosition.position');
  await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId, { StartParam: JSON.stringify({ startPosition: { position: `file:${File}:${Position}` } }) });
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await waitUntil(async () => (await rowsOf(s.dst, `SELECT id::text FROM public.t`)).length === 2 || undefined, 20_000, 'row 3 applied');
  assert.deepEqual(await rowsOf(s.dst, `SELECT id::text FROM public.t`), ['["1"]', '["3"]']);

  // A point in time: binlog timestamps have one-second resolution, so the writes are seconds apart.
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  await mdb.query(`INSERT INTO t VALUES (4)`, [], s.src.db); // before the chosen time: skipped
  await new Promise((r) => setTimeout(r, 1_100));
  const chosen = new Date(Math.ceil(Date.now() / 1000) * 1000);
  await new Promise((r) => setTimeout(r, chosen.getTime() - Date.now() + 100));
  await mdb.query(`INSERT INTO t VALUES (5)`, [], s.src.db);
  await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId, { StartParam: JSON.stringify({ startPosition: { timestamp: chosen.toISOString() } }) });
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await waitUntil(async () => (await rowsOf(s.dst, `SELECT id::text FROM public.t`)).length === 3 || undefined, 20_000, 'row 5 applied');
  assert.deepEqual(await rowsOf(s.dst, `SELECT id::text FROM public.t`), ['["1"]', '["3"]', '["5"]']);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('PostgreSQL: a column added while the task is stopped is added to the target on resume (ADDCOLUMN NORMAL)', async () => {
  const s = await sides('pgadd', 'postgresql', 'postgresql', { postgresql: `CREATE TABLE public.t (id int PRIMARY KEY, v text)` });
  const fileId = await deployAndStart('pgadd_task', s, ['public.t']);
  await withDb(pgi, s.src.db, (c) => c.query(`INSERT INTO t VALUES (1, 'a')`));
  await waitEqual(s.src, `SELECT * FROM t`, s.dst, `SELECT * FROM public.t`);
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  await withDb(pgi, s.src.db, (c) => c.query(`ALTER TABLE t ADD COLUMN extra numeric(10,2); INSERT INTO t VALUES (2, 'b', 12.5); UPDATE t SET extra = 1 WHERE id = 1`));
  await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId);
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await waitEqual(s.src, `SELECT id::text, v, extra::text FROM t`, s.dst, `SELECT id::text, v, extra::text FROM public.t`);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('PostgreSQL: an idle captured table while another database writes heavily does not make the slot retain WAL', async () => {
  const s = await sides('idle', 'postgresql', 'postgresql', { postgresql: `CREATE TABLE public.t (id int PRIMARY KEY)` });
  const fileId = await deployAndStart('idle_task', s, ['public.t']);
  await pgi.createDatabase('idle_busy');
  await withDb(pgi, 'idle_busy', (c) => c.query(`CREATE TABLE noise (id int, pad text); INSERT INTO noise SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g`));
  const retained = () => withDb(pgi, 'postgres', async (c) => Number((await c.query(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) AS b FROM pg_replication_slots WHERE slot_name LIKE $1`, [`%\\_${fileId}`])).rows[0].b));
  const before = await retained();
  assert.ok(before > 30e6, `the noise wrote ${before} bytes of WAL`);
  const bytes = await waitUntil(async () => { const b = await retained(); return b < 2e6 && b; }, 30_000, 'slot released the noise WAL');
  console.log(`# idle slot: retained ${before} bytes after the noise, ${bytes} bytes after the heartbeat`);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('MySQL: a schema change made while the task is stopped is replayed from the binlog on resume', async () => {
  const s = await sides('mystop', 'mysql', 'postgresql', { mysql: `CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))` });
  const fileId = await deployAndStart('mystop_task', s, [`${s.src.db}.t`]);
  await mdb.query(`INSERT INTO t VALUES (1, 'a')`, [], s.src.db);
  await waitEqual(s.src, `SELECT id, v FROM t`, s.dst, `SELECT id::text, v FROM public.t`);
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  await mdb.query(`ALTER TABLE t ADD COLUMN price DECIMAL(12,3)`, [], s.src.db);
  await mdb.query(`INSERT INTO t VALUES (2, 'b', 12.5)`, [], s.src.db);
  await mdb.query(`UPDATE t SET price = 1.25 WHERE id = 1`, [], s.src.db);
  await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId);
  await waitEqual(s.src, `SELECT id, v, CAST(price AS CHAR) FROM t`, s.dst, `SELECT id::text, v, price::text FROM public.t`);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('PostgreSQL -> MySQL: a target restart while streaming is survived within the failover limit; more failures than the limit give FAILED with the last error', async () => {
  const s = await sides('tgt', 'postgresql', 'mysql', { postgresql: `CREATE TABLE public.t (id int PRIMARY KEY, v int)` });
  const fileId = await deployAndStart('tgt_task', s, ['public.t'], {}, { failoverLimit: { count: 3, interval: 10 } });
  const write = (from: number, to: number) => withDb(pgi, s.src.db, (c) => c.query(`INSERT INTO t SELECT g, g FROM generate_series($1::int, $2::int) g`, [from, to]));
  await write(1, 2000);
  await mdb.kill();
  await write(2001, 4000);
  await mdb.start();
  await write(4001, 6000);
  await waitEqual(s.src, `SELECT id::text, v::text FROM t`, s.dst, `SELECT id, v FROM t`, 60_000);
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);

  // Now the target stays down: more than 3 restarts within 10 minutes -> FAILED with the last error.
  await mdb.stop();
  try {
    await write(6001, 6010);
    const failed = await waitForStatus(svc.client(), projectId, fileId, ['FAILED'], 60_000);
    assert.match(failed.Message, /failover limit exceeded: more than 3 restarts within 10 minutes; last error: .*ECONNREFUSED/);
  } finally {
    await mdb.start();
  }
  await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId);
  await waitEqual(s.src, `SELECT id::text, v::text FROM t`, s.dst, `SELECT id, v FROM t`, 60_000);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('PostgreSQL -> MySQL: columns renamed, retyped and dropped at the source while streaming follow ddlMarkMap', async () => {
  const s = await sides('pgddl', 'postgresql', 'mysql', { postgresql: `CREATE TABLE public.t (id int PRIMARY KEY, v text, n integer, gone text)` });
  const fileId = await deployAndStart('pgddl_task', s, ['public.t'], {}, { ddlMarkMap: { DROPCOLUMN: 'NORMAL' } });
  const sql = (text: string) => withDb(pgi, s.src.db, (c) => c.query(text));
  await sql(`INSERT INTO t SELECT g, 'v' || g, g, 'x' FROM generate_series(1, 100) g`);
  await waitEqual(s.src, `SELECT id::text, v, n::text FROM t`, s.dst, `SELECT id, v, n FROM t`);
  await sql(`ALTER TABLE t RENAME COLUMN v TO w; ALTER TABLE t ALTER COLUMN n TYPE bigint; ALTER TABLE t DROP COLUMN gone`);
  await sql(`BEGIN; INSERT INTO t VALUES (101, 'w101', 5000000000); UPDATE t SET w = w || '!' WHERE id <= 10; COMMIT`);
  await waitEqual(s.src, `SELECT id::text, w, n::text FROM t`, s.dst, `SELECT id, w, n FROM t`);
  const columns = await mdb.query<{ c: string; t: string }[]>(
    `SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION`, [s.dst.db]);
  assert.deepEqual(columns.map((r) => `${r.c} ${r.t}`), ['id int(11)', 'w longtext', 'n bigint(20)']);
  assert.equal((await instanceInfo(svc.client(), projectId, fileId)).Status, 'RUN');
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});
