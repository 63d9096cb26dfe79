/**
 * The MySQL/MariaDB binlog source against a private MariaDB (test/harness/mariadb.ts): values in
 * canonical text on both the binlog and the snapshot path, exactly-once resume (also across a
 * binlog rotation), filtering, DDL events, purged binlogs, a large transaction under backpressure,
 * close, and a server crash. The server-less unit tests are in mysql-source-units.test.ts.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { createLogger } from '../src/logger.ts';
import { MySqlSource, findMySqlSourceTableProblems } from '../src/engine/sources/mysql/mysql-source.ts';
import { comparePositions, parsePosition } from '../src/engine/sources/mysql/position.ts';
import { UnrecoverableError } from '../src/engine/errors.ts';
import { QUEUE_BOUNDS } from '../src/engine/source-event-queue.ts';
import { UNCHANGED, type SourceEvent, type RelationInfo, type ColumnValue } from '../src/engine/change-event.ts';
import type { TableRef } from '../src/engine/change-source.ts';
import type { EngineEvent } from '../src/engine/engine-event.ts';
import { TcpProxy } from './harness/tcp-proxy.ts';
import mysql from 'mysql2/promise';

const logger = createLogger('silent');
const DB = 'src';

describe('MariaDB binlog source', () => {
  let db: MariaDbInstance;
  let serverId = 100;
  const endpoint = () => ({ host: db.host, port: db.port, database: DB, user: db.user, password: '' });
  const q = (sql: string, params?: unknown[]) => db.query(sql, params, DB);
  const opened: MySqlSource[] = [];
  const newSource = (tables: string[], wholeOldRow?: (t: TableRef) => boolean) => {
    const s = new MySqlSource({ endpoint: endpoint(), serverId: serverId++, tables: tables.map((table) => ({ schema: DB, table })), wholeOldRow }, 'test', logger);
    opened.push(s);
    return s;
  };
  // A failed test must not leave a dump thread behind (it would keep later PURGEs from working).
  afterEach(async () => { for (const s of opened.splice(0)) await s.destroy(); });

  /** Events until `commits` commits (or ddl events count too when `countDdl`). */
  async function collect(src: MySqlSource, commits: number, timeoutMs = 15_000, countDdl = false): Promise<SourceEvent[]> {
    const out: SourceEvent[] = [];
    const deadline = Date.now() + timeoutMs;
    let n = 0;
    while (n < commits) {
      if (Date.now() > deadline) assert.fail(`timed out after ${n} commits: ${JSON.stringify(out.map((e) => e.kind))}`);
      const ev = await src.next(200);
      if (ev.kind === 'idle') continue;
      out.push(ev);
      if (ev.kind === 'commit' || (countDdl && ev.kind === 'ddl')) n++;
    }
    return out;
  }
  /** Asserts nothing more arrives for a moment. */
  async function expectQuiet(src: MySqlSource, ms = 600): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) { const ev = await src.next(100); assert.equal(ev.kind, 'idle', `unexpected ${JSON.stringify(ev)}`); }
  }
  /** PURGE BINARY LOGS up to the current file. */
  async function purgeToCurrent(): Promise<void> {
    const [status] = await db.query<{ File: string }[]>('SHOW MASTER STATUS');
    // MariaDB keeps a binlog until InnoDB has checkpointed its transactions: retry the purge.
    for (let i = 0; ; i++) {
      await db.query(`PURGE BINARY LOGS TO '${status.File}'`);
      const logs = await db.query<{ Log_name: string }[]>('SHOW BINARY LOGS');
      if (logs[0].Log_name === status.File) break;
      assert.ok(i < 100, `could not purge: ${JSON.stringify(logs)}`);
      await db.query('FLUSH LOGS');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function waitFor(fn: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; !(await fn());) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const insertedIds = (evs: SourceEvent[]) => evs.flatMap((e) => (e.kind === 'change' && e.change.op === 'insert' ? [e.change.values[0]] : []));

  before(async () => {
    db = await startMariaDb();
    await db.createDatabase(DB);
  });
  after(async () => { await db?.destroy(); });

  test('every type: binlog values = readChunk values = expected canonical text; updates and deletes', async () => {
    await q(`CREATE TABLE types (
      id BIGINT UNSIGNED PRIMARY KEY, t1 TINYINT(1), si SMALLINT, mi MEDIUMINT UNSIGNED, i INT, d DECIMAL(30,10), f FLOAT, g DOUBLE,
      vc VARCHAR(20), l1 VARCHAR(20) CHARACTER SET latin1, ch CHAR(3), tx TEXT, bn BINARY(4), vb VARBINARY(16), bl BLOB,
      bt BIT(10), js JSON, en ENUM('a','b c'), st SET('x','y','z'), dt DATETIME(6), dt0 DATETIME, ts TIMESTAMP(3) NULL, tm TIME, tm3 TIME(3),
      dd DATE, yr YEAR, vbin VARCHAR(10) CHARACTER SET binary)`);
    const src = newSource(['types']);
    await src.prepare({ position: null, mustExist: false });
    await src.open(null);
    // The session zone must not matter for TIMESTAMP: insert from +05:00.
    const c = await mysql.createConnection({ ...db.connectionConfig(DB) });
    await c.query(`SET time_zone = '+05:00', sql_mode = ''`);
    await c.query(`INSERT INTO types VALUES (18446744073709551615, 1, -32768, 16777215, -2147483648, '-12345678901234567890.0123456789',
      3.14159274, 0.1, 'añ😀中', _latin1 X'80E9', 'ab', '𝄞 text', X'01020000', X'00FF10', X'000102FF', b'1000000001', '{"a": [1, 2.5, "x"], "b": 12345678901234567890}',
      'b c', 'x,z', '2024-02-29 23:59:59.000001', '0000-00-00 00:00:00', '2024-01-02 08:04:05.123', '-838:59:59', '25:00:00.5',
      '0000-00-00', 2024, X'00')`);
    await c.query(`INSERT INTO types (id) VALUES (2)`);
    await c.end();
    const expected: ColumnValue[] = ['18446744073709551615', '1', '-32768', '16777215', '-2147483648', '-12345678901234567890.0123456789',
      '3.1415927', '0.1', 'añ😀中', '€é', 'ab', '𝄞 text', '\\x01020000', '\\x00ff10', '\\x000102ff', '1000000001', '{"a": [1, 2.5, "x"], "b": 12345678901234567890}',
      'b c', 'x,z', '2024-02-29 23:59:59.000001', '0000-00-00 00:00:00', '2024-01-02 03:04:05.123+00', '-838:59:59', '25:00:00.500',
      '0000-00-00', '2024', '\\x00'];
    const nulls: ColumnValue[] = ['2', ...Array(26).fill(null)];
    const evs = await collect(src, 2);
    assert.deepEqual(evs.map((e) => e.kind), ['begin', 'change', 'commit', 'begin', 'change', 'commit']);
    const rows = evs.flatMap((e) => (e.kind === 'change' && e.change.op === 'insert' ? [e.change.values] : []));
    assert.deepEqual(rows, [expected, nulls]);
    const rel = (evs[1] as { change: { relation: RelationInfo } }).change.relation;
    assert.equal(rel, (evs[4] as { change: { relation: RelationInfo } }).change.relation, 'same RelationInfo object per table');
    assert.deepEqual(rel.columns.slice(0, 2), [{ name: 'id', isKey: true }, { name: 't1', isKey: false }]);
    const chunk = await src.readChunk({ schema: DB, table: 'types' }, null, 10);
    assert.equal(chunk.relation, rel, 'readChunk hands out the same RelationInfo');
    assert.deepEqual(chunk.rows, [nulls, expected]); // PK order: 2 < 2^64-1
    assert.deepEqual((await src.readChunk({ schema: DB, table: 'types' }, ['2'], 10)).rows, [expected]);
    // update: values = after image, oldKey = before image; delete: oldKey. The before image carries
    // only the key unless the table's rules read the old row (wholeOldRow): then every column.
    const whole = newSource(['types'], (t) => t.schema === DB && t.table === 'types');
    await whole.prepare({ position: null, mustExist: false });
    await whole.open(null);
    await q(`UPDATE types SET vc = 'new', f = 1e-45 WHERE id = 2`);
    await q(`DELETE FROM types WHERE id = 18446744073709551615`);
    const changesOf = async (s: MySqlSource) => (await collect(s, 2)).filter((e) => e.kind === 'change').map((e) => (e as { change: unknown }).change as any);
    const keyOnly = (row: ColumnValue[]) => row.map((v, i) => (i === 0 ? v : UNCHANGED));
    const ud = await changesOf(src);
    assert.equal(ud[0].op, 'update');
    assert.deepEqual(ud[0].oldKey, keyOnly(nulls));
    assert.deepEqual(ud[0].values.slice(0, 9), ['2', null, null, null, null, null, '1e-45', null, 'new']);
    assert.deepEqual([ud[1].op, ud[1].oldKey], ['delete', keyOnly(expected)]);
    const udWhole = await changesOf(whole);
    assert.deepEqual(udWhole.map((ch) => [ch.op, ch.oldKey]), [['update', nulls], ['delete', expected]]);
    assert.deepEqual(udWhole[0].values, ud[0].values);
    const schema = await src.describeTable(rel);
    const byName = Object.fromEntries(schema.columns.map((col) => [col.name, col]));
    assert.equal(schema.dialect, 'mysql');
    assert.deepEqual(byName.id, {
      name: 'id', type: 'bigint(20) unsigned', logical: { kind: 'integer', bytes: 8, unsigned: true }, notNull: true, isKey: true,
      default: { kind: 'literal', value: '0', implicit: true },
    });
    assert.deepEqual(byName.js.logical, { kind: 'json' });
    assert.deepEqual(byName.tx.logical, { kind: 'text', length: 65535, fixed: false });
    assert.deepEqual(byName.en, { name: 'en', type: "enum('a','b c')", logical: { kind: 'enum', values: ['a', 'b c'] }, notNull: false, isKey: false, default: null });
    assert.deepEqual(byName.ts.logical, { kind: 'timestamptz', fsp: 3 });
    assert.deepEqual(schema.columns.map((col) => col.name), rel.columns.map((col) => col.name));
    await src.close(Date.now() + 5000);
  });

  test('binlog_row_metadata=MINIMAL: names, keys and labels come from information_schema', async () => {
    await q(`CREATE TABLE minimal (a INT, k INT UNSIGNED PRIMARY KEY, e ENUM('p','q'))`);
    await db.query(`SET GLOBAL binlog_row_metadata = 'MINIMAL'`);
    try {
      const src = newSource(['minimal']);
      await src.open(null);
      await q(`INSERT INTO minimal VALUES (-1, 4294967295, 'q')`);
      const evs = await collect(src, 1);
      const ch = evs.find((e) => e.kind === 'change') as { change: { relation: RelationInfo; values: ColumnValue[] } };
      assert.deepEqual(ch.change.relation.columns, [{ name: 'a', isKey: false }, { name: 'k', isKey: true }, { name: 'e', isKey: false }]);
      assert.deepEqual(ch.change.values, ['-1', '4294967295', 'q']);
      await src.destroy();
    } finally {
      await db.query(`SET GLOBAL binlog_row_metadata = 'FULL'`);
    }
  });

  test('filtering, caughtUpPosition, and exactly-once resume at every commit, across a rotation', async () => {
    await q(`CREATE TABLE r (id INT PRIMARY KEY, v VARCHAR(10))`);
    await q(`CREATE TABLE other (id INT PRIMARY KEY)`);
    const src = newSource(['r']);
    await src.prepare({ position: null, mustExist: false });
    const head = await src.headPosition();
    assert.match(head!, /^gtid:[\d,-]*@mysql-bin\.\d+:\d+$/);
    await src.open(head);
    await q(`INSERT INTO r VALUES (1, 'a')`);
    await q(`INSERT INTO other VALUES (1)`);
    await q(`INSERT INTO r VALUES (2, 'b'), (3, 'c')`);
    await db.query('FLUSH BINARY LOGS');
    await q(`INSERT INTO other VALUES (2)`);
    await q(`INSERT INTO r VALUES (4, 'd')`);
    await q(`INSERT INTO r VALUES (5, 'e')`);
    const evs = await collect(src, 4);
    assert.deepEqual(insertedIds(evs), ['1', '2', '3', '4', '5']);
    assert.ok(evs.every((e) => e.kind !== 'change' || e.change.relation.table === 'r'), 'only the task table');
    const commits = evs.filter((e): e is Extract<SourceEvent, { kind: 'commit' }> => e.kind === 'commit').map((e) => e.position);
    assert.notEqual(parsePosition(commits[1]).file, parsePosition(commits[2]).file, 'the rotation lies between commits 2 and 3');
    // A filtered transaction moves caughtUpPosition past the last delivered commit.
    await q(`INSERT INTO other VALUES (3)`);
    let caught: string | null = null;
    for (let i = 0; i < 50 && !(caught && comparePositions(parsePosition(caught), parsePosition(commits[3])) > 0); i++) { await src.next(50); caught = src.caughtUpPosition(); }
    assert.ok(caught && comparePositions(parsePosition(caught), parsePosition(commits[3])) > 0, `caught up ${caught} past ${commits[3]}`);
    src.acknowledge(caught!);
    assert.equal(src.caughtUpPosition(), null, 'nothing new past the acknowledged position');
    await src.close(Date.now() + 5000);

    // As emitted (non-empty GTID state: resumed by GTID), and as `file:` positions (resumed by file:offset).
    const expectedAfter = [['2', '3', '4', '5'], ['4', '5'], ['5'], []];
    for (const [i, emitted] of [head!, ...commits].entries()) {
      const { gtid, file, offset } = parsePosition(emitted);
      assert.ok(gtid, `a GTID state in ${emitted}`);
      for (const pos of [emitted, `file:${file}:${offset}`]) {
        const s = newSource(['r']);
        await s.prepare({ position: pos, mustExist: true });
        await s.open(pos);
        const want = i === 0 ? ['1', '2', '3', '4', '5'] : expectedAfter[i - 1];
        const got = want.length ? insertedIds(await collect(s, i === 0 ? 4 : 4 - i)) : [];
        assert.deepEqual(got, want, `resume at ${pos}`);
        await expectQuiet(s, 200);
        await s.close(Date.now() + 5000);
      }
    }
  });

  test('resume by GTID: the GTID state decides, not the file:offset part; DDL groups count as transactions', async () => {
    await q(`CREATE TABLE g (id INT PRIMARY KEY)`);
    await q(`CREATE TABLE IF NOT EXISTS other (id INT PRIMARY KEY)`);
    const items = (evs: SourceEvent[]) => evs.flatMap((e) => (e.kind === 'ddl' ? [`ddl ${e.change.type}`] : e.kind === 'change' && e.change.op === 'insert' ? [String(e.change.values[0])] : []));
    const src = newSource(['g']);
    const head = await src.headPosition();
    await src.open(head);
    await q(`INSERT INTO g VALUES (1)`);
    await q(`ALTER TABLE g ADD COLUMN v INT`);
    await db.query('FLUSH BINARY LOGS');
    await q(`INSERT INTO other VALUES (10)`);
    await q(`INSERT INTO g VALUES (2, 2)`);
    await q(`TRUNCATE TABLE other`); // DDL, not on a task table: not delivered
    await q(`INSERT INTO g VALUES (3, 3)`);
    const evs = await collect(src, 4, 15_000, true);
    assert.deepEqual(items(evs), ['1', 'ddl ADDCOLUMN', '2', '3']);
    const marks = evs.flatMap((e) => (e.kind === 'commit' || e.kind === 'ddl' ? [e.position] : []));
    await src.close(Date.now() + 5000);
    const [oldest] = await db.query<{ Log_name: string }[]>('SHOW BINARY LOGS');
    for (const [i, pos] of [head!, ...marks].entries()) {
      const { gtid } = parsePosition(pos);
      assert.ok(gtid, `a GTID state in ${pos}`);
      const want = items(evs).slice(i);
      // file:offset deliberately wrong: the start of the oldest binlog (would replay everything), a file that never existed.
      for (const wrong of [`gtid:${gtid}@${oldest.Log_name}:4`, `gtid:${gtid}@mysql-bin.999999:4`]) {
        const s = newSource(['g']);
        await s.prepare({ position: wrong, mustExist: true });
        await s.open(wrong);
        const got = want.length ? items(await collect(s, want.length, 15_000, true)) : [];
        assert.deepEqual(got, want, `resume at ${wrong}`);
        await expectQuiet(s, 200);
        if (want.length === 0 && wrong.includes('999999')) {
          // The wrong file:offset is corrected from the stream: a filtered transaction still moves caughtUpPosition.
          await q(`INSERT INTO other VALUES (11)`);
          let caught: string | null = null;
          for (let k = 0; k < 50 && !caught; k++) { await s.next(50); caught = s.caughtUpPosition(); }
          assert.ok(caught && /^mysql-bin\.\d+$/.test(parsePosition(caught).file) && parsePosition(caught).file !== 'mysql-bin.999999', `caught up: ${caught}`);
          assert.ok(comparePositions(parsePosition(caught!), parsePosition(marks.at(-1)!)) > 0, `${caught} past ${marks.at(-1)}`);
        }
        await s.close(Date.now() + 5000);
      }
    }
  });

  test('DDL on task tables becomes ddl events; other DDL does not; relations change after DDL', async () => {
    await q(`CREATE TABLE dd (id INT PRIMARY KEY, a INT)`);
    const src = newSource(['dd', 'dd_new', 'dd2']);
    await src.open(null);
    await q(`INSERT INTO dd VALUES (1, 1)`);
    await q(`INSERT INTO dd VALUES (2, 2)`);
    const first = await collect(src, 2);
    const rel1 = (first[1] as any).change.relation as RelationInfo;
    assert.equal((first[4] as any).change.relation, rel1);
    await q(`ALTER TABLE dd ADD COLUMN b VARCHAR(5) AFTER id, CHANGE a a2 BIGINT`);
    await q(`CREATE INDEX ix ON dd (a2)`);
    await q(`ALTER TABLE other ADD COLUMN z INT`);
    await q(`INSERT INTO dd VALUES (3, 'x', 3)`);
    await q(`ALTER TABLE dd MODIFY b VARCHAR(9)`);
    await q(`INSERT INTO dd VALUES (4, 'y', 4)`);
    await q(`TRUNCATE TABLE dd`);
    await q(`CREATE TABLE dd2 (id INT PRIMARY KEY)`);
    await q(`CREATE TABLE not_ours (id INT PRIMARY KEY)`);
    await q(`RENAME TABLE dd TO dd_new`);
    await q(`DROP TABLE IF EXISTS dd2, not_ours`);
    const evs = await collect(src, 9, 15_000, true);
    const summary = evs.map((e) => e.kind === 'ddl' ? `${e.change.type} ${e.change.table}${e.change.column ? ' ' + e.change.column : ''}${e.change.newColumn ? '>' + e.change.newColumn : ''}${e.change.newTable ? '>' + e.change.newTable.table : ''}` : e.kind);
    assert.deepEqual(summary, ['ADDCOLUMN dd b', 'RENAMECOLUMN dd a>a2', 'begin', 'change', 'commit', 'MODIFYCOLUMN dd b', 'begin', 'change', 'commit',
      'TRUNCATETABLE dd', 'CREATETABLE dd2', 'RENAMETABLE dd>dd_new', 'DROPTABLE dd2']);
    const ddl = evs[0] as Extract<SourceEvent, { kind: 'ddl' }>;
    assert.equal(ddl.position, (evs[1] as Extract<SourceEvent, { kind: 'ddl' }>).position, 'one statement, one position');
    assert.match(ddl.change.sql!, /ADD COLUMN b/);
    const rel2 = (evs[3] as any).change.relation as RelationInfo;
    const rel3 = (evs[7] as any).change.relation as RelationInfo;
    assert.notEqual(rel2, rel1);
    assert.deepEqual(rel2.columns.map((c) => c.name), ['id', 'b', 'a2']);
    assert.notEqual(rel3, rel2, 'a new RelationInfo after MODIFY even with the same names');
    assert.deepEqual((evs[3] as any).change.values, ['3', 'x', '3']);
    await src.close(Date.now() + 5000);
  });

  test('prepare: table problems and server settings', async () => {
    await q(`CREATE TABLE nopk (a INT)`);
    const c = await mysql.createConnection(db.connectionConfig(DB));
    const problems = await findMySqlSourceTableProblems(c, [{ schema: DB, table: 'nopk' }, { schema: DB, table: 'missing' }, { schema: DB, table: 'r' }] as TableRef[]);
    await c.end();
    assert.equal(problems.length, 2);
    assert.match(problems[0], /src\.nopk has no primary key/);
    assert.match(problems[1], /src\.missing does not exist/);
    await assert.rejects(newSource(['nopk']).prepare({ position: null, mustExist: false }), (e: Error) => e instanceof UnrecoverableError && /nopk/.test(e.message));
    await db.query(`SET GLOBAL binlog_row_image = 'MINIMAL'`);
    try {
      await assert.rejects(newSource(['r']).prepare({ position: null, mustExist: false }), (e: Error) => e instanceof UnrecoverableError && /binlog_row_image=FULL/.test(e.message));
    } finally { await db.query(`SET GLOBAL binlog_row_image = 'FULL'`); }
  });

  test('least privileges: SELECT + REPLICATION SLAVE + REPLICATION CLIENT is enough (keys, JSON columns, positions, teardown); each missing grant fails at once naming its GRANT', async () => {
    await q(`CREATE TABLE lp (id INT PRIMARY KEY, doc JSON, note LONGTEXT)`);
    const make = async (user: string, grants: string[]) => {
      await db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw'`);
      for (const g of grants) await db.query(g.replace('$u', `'${user}'@'%'`));
      const s = new MySqlSource({ endpoint: { ...endpoint(), user, password: 'pw' }, serverId: serverId++, tables: [{ schema: DB, table: 'lp' }] }, 'test', logger);
      opened.push(s);
      return s;
    };
    const REPL = 'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO $u';
    for (const [user, select] of [['cdc_db', `GRANT SELECT ON ${DB}.* TO $u`], ['cdc_tbl', `GRANT SELECT ON ${DB}.lp TO $u`]]) {
      const src = await make(user, [select, REPL]);
      await src.prepare({ position: null, mustExist: false });
      const head = (await src.headPosition())!;
      await src.open(head);
      await q(`INSERT INTO lp VALUES (1, '{"a": 1}', 'n')`);
      const evs = await collect(src, 1);
      const rel = (evs[1] as Extract<SourceEvent, { kind: 'change' }>).change.relation;
      assert.deepEqual(rel.columns.map((c) => c.isKey), [true, false, false], user);
      const schema = await src.describeTable(rel);
      assert.deepEqual(schema.columns.map((c) => c.logical.kind), ['integer', 'json', 'text'], `${user}: the MariaDB JSON column is found`);
      assert.ok(await src.positionAt(new Date()), 'a time scan');
      assert.deepEqual(await src.close(Date.now() + 5000), { forced: false }, `${user}: our own dump thread is KILLed without PROCESS or SUPER`);
      await q('DELETE FROM lp');
    }
    const missing: [string, string[], RegExp][] = [
      ['no_slave', [`GRANT SELECT ON ${DB}.* TO $u`, 'GRANT REPLICATION CLIENT ON *.* TO $u'], /lacks REPLICATION SLAVE.*GRANT REPLICATION SLAVE ON \*\.\* TO 'no_slave'@'%';/],
      ['no_client', [`GRANT SELECT ON ${DB}.* TO $u`, 'GRANT REPLICATION SLAVE ON *.* TO $u'], /GRANT REPLICATION CLIENT ON \*\.\* TO 'no_client'@'%';.*BINLOG MONITOR/],
      ['no_select', [REPL], /may not use database `src`.*GRANT SELECT ON `src`\.\* TO 'no_select'@'%';/],
      ['other_table', [`GRANT SELECT ON ${DB}.other TO $u`, REPL], /src\.lp does not exist, or the source user 'other_table'@'%' may not read it \(GRANT SELECT ON `src`\.`lp` TO 'other_table'@'%';\)/],
    ];
    await q(`CREATE TABLE IF NOT EXISTS other (id INT PRIMARY KEY)`);
    for (const [user, grants, message] of missing) {
      const src = await make(user, grants);
      const err = await src.prepare({ position: null, mustExist: false }).then(() => src.open(null)).then(() => src.next(5_000)).then(
        (ev) => new Error(`no failure: ${ev.kind}`), (e: Error) => e);
      assert.ok(err instanceof UnrecoverableError, `${user}: permanent, not retried: ${err.message}`);
      assert.match(err.message, message, user);
      await src.destroy();
    }
  });

  test('large transaction streams with a bounded queue', async () => {
    const N = 300_000;
    await q(`CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(40))`);
    const src = newSource(['big']);
    await src.open(null);
    const t0 = Date.now();
    await q(`INSERT INTO big SELECT seq, CONCAT('row ', seq) FROM seq_1_to_${N}`);
    const tIns = Date.now();
    let rows = 0, maxQueued = 0;
    const internals = src as unknown as { queue: { pending: number } };
    let notAheadWhileStreaming = 0;
    for (;;) {
      const asked = Date.now();
      const ev = await src.next(5000);
      maxQueued = Math.max(maxQueued, internals.queue.pending);
      // Still streaming a committed transaction: the server is ahead of what was delivered (delay is not 0).
      if (ev.kind === 'change' && !src.clock().serverAhead) notAheadWhileStreaming++;
      if (ev.kind === 'change') rows++;
      else if (ev.kind === 'commit') break;
      // A consumer faster than the socket hears `idle` at once when it drains the queue
      // (source-event-queue.ts); only a wait of the whole idleMs means the stream stalled.
      else assert.ok(ev.kind !== 'idle' || Date.now() - asked < 4000, `stalled after ${rows} rows`);
      if (rows % 20_000 === 0) await new Promise((r) => setTimeout(r, 5)); // a consumer slower than the reader at times
    }
    const secs = (Date.now() - t0) / 1000;
    assert.equal(rows, N);
    assert.equal(notAheadWhileStreaming, 0, 'serverAhead while the transaction streams');
    assert.ok(maxQueued < QUEUE_BOUNDS.high + 5_000, `queue stayed bounded (max ${maxQueued})`);
    assert.equal((await src.next(100)).kind, 'idle');
    assert.equal(src.clock().serverAhead, false, 'caught up once the commit is delivered');
    const rss = process.resourceUsage().maxRSS / 1024;
    console.log(`# large transaction: ${N} rows in ${secs.toFixed(2)} s incl. the INSERT (${(tIns - t0) / 1000} s) -> ${Math.round(N / secs)} rows/s end to end, ${Math.round(N / ((Date.now() - tIns) / 1000))} rows/s after the commit; max queued ${maxQueued}; peak RSS ${rss.toFixed(0)} MB`);
    await src.close(Date.now() + 5000);
  });

  test('a dump that goes silent: the clock stops, the source fails recoverably (SOURCE_STALLED) within the bound, the stale dump thread is KILLed, a new source resumes', async () => {
    const dumps = async () => (await db.query<{ Id: number; Command: string }[]>('SHOW PROCESSLIST')).filter((p) => /binlog dump/i.test(p.Command)).map((p) => Number(p.Id));
    await q(`CREATE TABLE stall (id INT PRIMARY KEY)`);
    const proxy = await TcpProxy.start(db.host, db.port);
    const events: EngineEvent[] = [];
    const BOUND = 2_000;
    const src = new MySqlSource({ endpoint: { ...endpoint(), host: proxy.host, port: proxy.port }, serverId: serverId++, tables: [{ schema: DB, table: 'stall' }],
      stallAfterMs: BOUND, onEvent: (e) => events.push(e) }, 'test', logger);
    opened.push(src);
    try {
      await src.open(null);
      await q(`INSERT INTO stall VALUES (1)`);
      const [, , commit] = await collect(src, 1);
      const last = (commit as Extract<SourceEvent, { kind: 'commit' }>).position;
      await new Promise((r) => setTimeout(r, 1_500)); // a heartbeat or two
      const before = src.clock();
      assert.ok(before.lastHeardAt && Date.now() - before.lastHeardAt.getTime() < 1_500, `heard recently: ${before.lastHeardAt?.toISOString()}`);
      assert.equal(before.serverAhead, false);
      const [dumpThread] = await dumps();
      proxy.freeze();
      const frozenAt = Date.now();
      await q(`INSERT INTO stall VALUES (2)`); // written while the dump is silent
      let err: Error | undefined;
      let heardDuring: Date | null = null;
      while (!err) {
        const ev = await src.next(200).catch((e: Error) => e);
        if (ev instanceof Error) err = ev; else { assert.equal(ev.kind, 'idle'); heardDuring = src.clock().lastHeardAt; }
      }
      const shownAfter = Date.now() - frozenAt;
      console.log(`# a silent dump thread shows after ${shownAfter} ms (stall bound ${BOUND} ms)`);
      assert.ok(heardDuring && heardDuring.getTime() <= frozenAt, 'nothing heard while frozen');
      assert.ok(!(err instanceof UnrecoverableError), 'recoverable: the runner reconnects');
      assert.equal((err as Error & { code?: string }).code, 'SOURCE_STALLED');
      assert.match(err.message, /binlog dump went silent.*stall bound 2000 ms/);
      const silence = frozenAt + shownAfter - (heardDuring?.getTime() ?? before.lastHeardAt.getTime());
      assert.ok(silence >= BOUND && shownAfter < BOUND + 5_000, `after the bound of silence (${silence} ms), within a margin: ${shownAfter} ms`);
      assert.deepEqual(events.map((e) => e.type === 'warning' && e.code), ['SOURCE_STALLED']);
      assert.deepEqual(await dumps(), [dumpThread], 'the server still holds the silent dump thread');
      await src.destroy();
      await waitFor(async () => !(await dumps()).includes(dumpThread), 'the stale dump thread KILLed');
      const s2 = newSource(['stall']);
      await s2.open(last);
      assert.deepEqual(insertedIds(await collect(s2, 1)), ['2']);
      await s2.close(Date.now() + 5000);
    } finally {
      await proxy.close();
    }
  });

  test('foreign keys that cascade into a task table: the server logs no trace of the cascade, so the source warns (FK_CASCADE_NOT_LOGGED) when the parent changes', async () => {
    await q('CREATE TABLE fkp (id INT PRIMARY KEY, code INT UNIQUE, note VARCHAR(10))');
    await q(`CREATE TABLE fkc (id INT PRIMARY KEY, p_id INT, p_code INT,
      CONSTRAINT by_id FOREIGN KEY (p_id) REFERENCES fkp (id) ON DELETE CASCADE,
      CONSTRAINT by_code FOREIGN KEY (p_code) REFERENCES fkp (code) ON UPDATE SET NULL)`);
    await q(`INSERT INTO fkp VALUES (1, 10, 'a'), (2, 20, 'b')`);
    await q('INSERT INTO fkc VALUES (1, 1, 10), (2, 2, 20)');
    const events: EngineEvent[] = [];
    const src = new MySqlSource({ endpoint: endpoint(), serverId: serverId++, tables: [{ schema: DB, table: 'fkc' }], onEvent: (e) => events.push(e) }, 'test', logger);
    opened.push(src);
    await src.open(null);
    const warnings = () => events.map((e) => (e.type === 'warning' ? `${e.code} ${e.table} ${/foreign key (\w+)/.exec(e.detail)?.[1]}` : e.type));
    await q(`UPDATE fkp SET note = 'x'`); // no referenced column changes: no cascade
    await q('DELETE FROM fkp WHERE id = 1'); // deletes fkc 1 without a row event for it
    await q('UPDATE fkp SET code = 21 WHERE id = 2'); // sets fkc 2's p_code to NULL without a row event
    await q('INSERT INTO fkc VALUES (3, 2, 21)'); // a marker: everything before it was read
    const evs = await collect(src, 1);
    assert.deepEqual(evs.filter((e) => e.kind === 'change').map((e) => (e as Extract<SourceEvent, { kind: 'change' }>).change.op), ['insert'], 'the cascades left no row events');
    assert.deepEqual(warnings(), ['FK_CASCADE_NOT_LOGGED src.fkc by_id', 'FK_CASCADE_NOT_LOGGED src.fkc by_code']);
    assert.match((events[0] as { detail: string }).detail, /a delete from src\.fkp may have changed rows of src\.fkc .*ON DELETE CASCADE.*Resynchronize/);
    await src.close(Date.now() + 5000);
  });

  test('close leaves no binlog dump thread', async () => {
    const dumps = async () => (await db.query<{ Command: string }[]>('SHOW PROCESSLIST')).filter((p) => /binlog dump/i.test(p.Command)).length;
    await q(`CREATE TABLE IF NOT EXISTS cl (id INT PRIMARY KEY, v VARCHAR(10))`);
    const src = newSource(['cl']);
    await src.open(null);
    await q(`INSERT INTO cl VALUES (100, 'z')`);
    await collect(src, 1);
    assert.equal(await dumps(), 1);
    assert.deepEqual(await src.close(Date.now() + 5000), { forced: false });
    assert.equal(await dumps(), 0);
    const s2 = newSource(['cl']);
    await s2.open(null);
    // open() returns once COM_BINLOG_DUMP is sent; the server lists the thread as a dump a moment later
    for (let i = 0; i < 100 && await dumps() < 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await dumps(), 1);
    await s2.destroy();
    for (let i = 0; i < 50 && await dumps() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await dumps(), 0);
  });

  test('the control connection closed when idle: uses that need it at once open one, not one each, and it closes again', async () => {
    await q(`CREATE TABLE IF NOT EXISTS ci (id INT PRIMARY KEY, v VARCHAR(10))`);
    const src = new MySqlSource({ endpoint: endpoint(), serverId: serverId++, tables: [{ schema: DB, table: 'ci' }], controlIdleMs: 200 }, 'test', logger);
    opened.push(src);
    // The source's connections in its database other than the dump (the harness's own queries name no database).
    const controls = async () => (await db.query<{ Command: string; db: string | null }[]>('SHOW PROCESSLIST'))
      .filter((p) => p.db === DB && !/binlog dump/i.test(p.Command)).length;
    await src.prepare({ position: null, mustExist: false });
    await src.open(null);
    await waitFor(async () => (await controls()) === 0, 'the idle close');
    // Before, each of these opened a connection of its own, and all but the last one were never closed.
    const heads = await Promise.all([src.headPosition(), src.headPosition(), src.readChunk({ schema: DB, table: 'ci' }, null, 10)]);
    assert.equal(heads[0], heads[1]);
    await waitFor(async () => (await controls()) === 0, 'the idle close after the concurrent uses', 5_000);
    assert.deepEqual(await src.close(Date.now() + 5000), { forced: false }, 'close opens it again for the dump thread\'s release');
  });

  test('purged binlog: UnrecoverableError with advice, never a silent jump; by GTID only when the GTID state is gone', async () => {
    await q(`CREATE TABLE IF NOT EXISTS cl (id INT PRIMARY KEY, v VARCHAR(10))`);
    const src = newSource(['cl']);
    const old = (await src.headPosition())!;
    await db.query('FLUSH BINARY LOGS');
    await q(`INSERT INTO cl VALUES (200, 'lost')`);
    const atEnd = (await src.headPosition())!; // the end of the file holding 200
    await db.query('FLUSH BINARY LOGS');
    await q(`INSERT INTO cl VALUES (201, 'kept')`);
    await purgeToCurrent(); // 200 is gone, 201 is not
    const toFile = (pos: string) => { const p = parsePosition(pos); return `file:${p.file}:${p.offset}`; };
    const check = (pos: string, by: RegExp) => (e: Error) => e instanceof UnrecoverableError && e.message.includes(pos) && /cannot be recovered/.test(e.message)
      && by.test(e.message) && /TerminateDISyncInstance/.test(e.message) && /binlog_expire_logs_seconds/.test(e.message);
    // By GTID: the server's 1236 "Could not find GTID state requested by slave in any binlog files".
    await assert.rejects(src.prepare({ position: old, mustExist: true }), check(old, /GTID state .* is in none of the binlogs.*Could not find GTID state/));
    await assert.rejects(src.open(old), check(old, /Could not find GTID state/));
    // By file: the file must be among SHOW BINARY LOGS.
    for (const pos of [toFile(old), toFile(atEnd)]) await assert.rejects(src.prepare({ position: pos, mustExist: true }), check(pos, /not among SHOW BINARY LOGS/));
    await src.destroy();
    // atEnd's file is purged, but its GTID state is where the next binlog starts: it resumes exactly.
    const s2 = newSource(['cl']);
    await s2.prepare({ position: atEnd, mustExist: true });
    await s2.open(atEnd);
    assert.deepEqual(insertedIds(await collect(s2, 1)), ['201']);
    await expectQuiet(s2, 200);
    await s2.close(Date.now() + 5000);
  });

  test('a checkpoint the server does not have (ahead of its end, or another server\'s) fails as "not on this server", never as purged, and never jumps', async () => {
    await q(`CREATE TABLE IF NOT EXISTS cl (id INT PRIMARY KEY, v VARCHAR(10))`);
    const src = newSource(['cl']);
    const head = parsePosition((await src.headPosition())!);
    const [domain, server, seq] = head.gtid!.split(',')[0].split('-');
    const cases: [string, RegExp][] = [
      [`file:mysql-bin.999999:4`, /mysql-bin\.999999 is later than the server's newest binlog/],
      [`file:${head.file}:${head.offset + 100_000}`, /offset \d+ is past the end of mysql-bin\.\d+/],
      [`file:binlog.000001:4`, /this server's binlogs are mysql-bin\.\d+ \.\. mysql-bin\.\d+, not binlog\.000001/],
      [`gtid:${domain}-${server}-${BigInt(seq) + 1000n}@${head.file}:${head.offset}`, /is ahead of this server's binlog, which ends at/],
      [`gtid:77-9-5@${head.file}:${head.offset}`, /GTID domain 77 of 77-9-5 was never logged on this server/],
    ];
    for (const [pos, detail] of cases) {
      for (const step of [() => src.prepare({ position: pos, mustExist: true }), () => src.open(pos)]) {
        await assert.rejects(step(), (e: Error) => e instanceof UnrecoverableError && detail.test(e.message)
          && e.message.includes(`checkpoint ${pos} is not on the source MySQL server`) && !/purged/.test(e.message)
          && /another server/.test(e.message) && /TerminateDISyncInstance/.test(e.message), pos);
      }
    }
    await src.destroy();
  });

  test('positionAt: the first transaction in the same second or later; purged -> UnrecoverableError; future -> the end', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const dumps = async () => (await db.query<{ Command: string }[]>('SHOW PROCESSLIST')).filter((p) => /binlog dump/i.test(p.Command)).length;
    await q(`CREATE TABLE pa (id INT PRIMARY KEY)`);
    await q(`CREATE TABLE pa_other (id INT PRIMARY KEY)`);
    const tOld = new Date();
    await sleep(1100);
    await db.query('FLUSH BINARY LOGS');
    await purgeToCurrent(); // the oldest binlog now starts a second after tOld
    const src = newSource(['pa']);
    await src.prepare({ position: null, mustExist: false });
    await assert.rejects(src.positionAt(tOld), (e: Error) => e instanceof UnrecoverableError
      && /binlogs on the source MySQL server start at \d{4}-\d\d-\d\dT/.test(e.message) && /purged/.test(e.message) && /initial load/.test(e.message));
    // Three groups in three different seconds, over three binlog files.
    const t1 = new Date();
    await q(`INSERT INTO pa VALUES (1)`);
    await q(`INSERT INTO pa VALUES (2)`);
    await sleep(1100);
    await db.query('FLUSH BINARY LOGS');
    const t2 = new Date();
    await q(`INSERT INTO pa VALUES (3)`);
    await q(`INSERT INTO pa_other VALUES (30)`);
    await q(`INSERT INTO pa VALUES (4)`);
    await sleep(1100);
    await db.query('FLUSH BINARY LOGS');
    await q(`INSERT INTO pa VALUES (5)`);
    const p2 = await src.positionAt(t2);
    const p1 = await src.positionAt(t1);
    const pFuture = await src.positionAt(new Date(Date.now() + 3_600_000));
    assert.match(p2, /^gtid:[\d,-]+@mysql-bin\.\d+:\d+$/);
    assert.ok(comparePositions(parsePosition(p1), parsePosition(p2)) < 0 && comparePositions(parsePosition(p2), parsePosition(pFuture)) < 0, `${p1} < ${p2} < ${pFuture}`);
    assert.equal(await dumps(), 0, 'the scans left no dump thread');
    // The source that scanned streams from the position: exactly the second and third groups.
    await src.open(p2);
    assert.deepEqual(insertedIds(await collect(src, 3)), ['3', '4', '5']);
    await expectQuiet(src, 300);
    await src.close(Date.now() + 5000);
    const s1 = newSource(['pa']);
    await s1.open(p1);
    assert.deepEqual(insertedIds(await collect(s1, 5)), ['1', '2', '3', '4', '5']);
    await s1.close(Date.now() + 5000);
    // A future time: the current end; only what commits afterwards arrives.
    const sf = newSource(['pa']);
    await sf.open(pFuture);
    await expectQuiet(sf, 300);
    await q(`INSERT INTO pa VALUES (6)`);
    assert.deepEqual(insertedIds(await collect(sf, 1)), ['6']);
    await sf.close(Date.now() + 5000);
    // A past second with nothing in it after the last transaction: the scan reads to the end (EOF of a non-blocking dump).
    await sleep(1100);
    const sn = newSource(['pa']);
    assert.equal(await sn.positionAt(new Date()), await sn.headPosition());
    assert.equal(await dumps(), 0, 'the scans left no dump thread');
    await sn.destroy();
  });

  test('a MariaDB crash while streaming is a transient error; a new source resumes exactly once', async () => {
    await q(`CREATE TABLE crash (id INT PRIMARY KEY)`);
    // Push connection ids up, so that after the restart a new connection can get our old dump thread's id.
    for (let i = 0; i < 30; i++) await db.query('SELECT 1');
    const src = newSource(['crash']);
    await src.open(null);
    const oldThreadId = (src as unknown as { binlog: { threadId: number } }).binlog.threadId;
    await q(`INSERT INTO crash VALUES (1)`);
    const evs = await collect(src, 1);
    const last = (evs.at(-1) as Extract<SourceEvent, { kind: 'commit' }>).position;
    await q(`INSERT INTO crash VALUES (2)`);
    await q(`INSERT INTO crash VALUES (3)`);
    await collect(src, 2); // consumed but (as if) not committed by the target
    await db.kill();
    const err = await (async () => { for (;;) { const ev = await src.next(200).catch((e: Error) => e); if (ev instanceof Error) return ev; } })();
    assert.ok(!(err instanceof UnrecoverableError), `transient: ${err.message}`);
    await db.start();
    // Thread ids restart with the server: a stranger now holds our old dump thread's id, and
    // tearing the old source down must not KILL it.
    let stranger: mysql.Connection | undefined;
    for (let id = 0; id < oldThreadId && !stranger;) {
      const c = await mysql.createConnection(db.connectionConfig());
      id = c.threadId;
      if (id === oldThreadId) stranger = c; else await c.end();
    }
    assert.ok(stranger, `a connection with id ${oldThreadId} on the restarted server`);
    await src.destroy();
    await stranger.query('SELECT 1');
    await stranger.end();
    await q(`INSERT INTO crash VALUES (4)`);
    const s2 = newSource(['crash']);
    await s2.prepare({ position: last, mustExist: true });
    await s2.open(last);
    assert.deepEqual(insertedIds(await collect(s2, 3)), ['2', '3', '4']);
    await expectQuiet(s2, 300);
    await s2.close(Date.now() + 5000);
  });
});

describe('MariaDB failover', () => {
  test('a task resumed by GTID on a replica of the same GTID domain (other server_id, other binlog offsets): nothing lost or doubled', async () => {
    const [primary, replica] = await Promise.all([startMariaDb(), startMariaDb({ settings: { server_id: '2', log_slave_updates: 'ON' } })]);
    const at = (i: MariaDbInstance) => ({ host: i.host, port: i.port, database: 'fo', user: i.user, password: '' });
    const source = (i: MariaDbInstance) => new MySqlSource({ endpoint: at(i), serverId: 900, tables: [{ schema: 'fo', table: 't' }] }, 'test', logger);
    const sources: MySqlSource[] = [];
    try {
      await replica.replicate(primary);
      await primary.createDatabase('fo');
      await primary.query('CREATE TABLE t (id INT PRIMARY KEY)', [], 'fo');
      await replica.caughtUpWith(primary);
      const first = source(primary);
      sources.push(first);
      await first.open(await first.headPosition());
      await primary.query('INSERT INTO t VALUES (1)', [], 'fo');
      await primary.query('INSERT INTO t VALUES (2)', [], 'fo');
      const evs = await collectFrom(first, 2);
      const checkpoint = (evs.at(-1) as Extract<SourceEvent, { kind: 'commit' }>).position;
      await first.close(Date.now() + 5000);
      // The primary goes on without the task; the replica's binlog gets other files and offsets.
      await replica.query('FLUSH BINARY LOGS');
      await primary.query('INSERT INTO t VALUES (3)', [], 'fo');
      await primary.query('INSERT INTO t VALUES (4)', [], 'fo');
      await replica.caughtUpWith(primary);
      // The data source now points at the replica.
      const second = source(replica);
      sources.push(second);
      await second.prepare({ position: checkpoint, mustExist: true });
      await second.open(checkpoint);
      const resumed = await collectFrom(second, 2);
      assert.deepEqual(ids(resumed), ['3', '4']);
      await primary.query('INSERT INTO t VALUES (5)', [], 'fo');
      const more = await collectFrom(second, 1);
      assert.deepEqual(ids(more), ['5'], 'streams on from the replica');
      const pos = parsePosition((more.at(-1) as Extract<SourceEvent, { kind: 'commit' }>).position);
      assert.match(pos.gtid!, /^0-1-\d+$/, 'the GTIDs are the primary\'s');
      const [{ File }] = await replica.query<{ File: string }[]>('SHOW MASTER STATUS');
      assert.equal(pos.file, File, 'file:offset are the replica\'s');
      await second.close(Date.now() + 5000);
    } finally {
      for (const s of sources) await s.destroy();
      await Promise.all([primary.destroy(), replica.destroy()]);
    }
  });

  const ids = (evs: SourceEvent[]) => evs.flatMap((e) => (e.kind === 'change' && e.change.op === 'insert' ? [e.change.values[0]] : []));
  async function collectFrom(src: MySqlSource, commits: number): Promise<SourceEvent[]> {
    const out: SourceEvent[] = [];
    for (const deadline = Date.now() + 20_000; out.filter((e) => e.kind === 'commit').length < commits;) {
      assert.ok(Date.now() < deadline, `timed out: ${JSON.stringify(out.map((e) => e.kind))}`);
      const ev = await src.next(200);
      if (ev.kind !== 'idle') out.push(ev);
    }
    return out;
  }
});
