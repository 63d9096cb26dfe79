/**
 * The MySQL/MariaDB source through the API (MariaDB -> MariaDB tasks on one private server, the
 * service as a child process): a malformed StartParam.startPosition fails the start and never falls
 * back to the checkpoint, also when the first attempt cannot reach the source.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { OpenDIService } from './harness/opendi-service.ts';
import { TcpProxy } from './harness/tcp-proxy.ts';
import { call, createDeployedTask, createWorkspace, realtimeScript, taskCall, waitForStatus, waitUntil } from './harness/realtime-scenario.ts';

let mdb: MariaDbInstance;
let svc: OpenDIService;
let projectId: number;

before(async () => {
  [mdb, svc] = await Promise.all([startMariaDb(), OpenDIService.start()]);
  projectId = await createWorkspace(svc.client(), 'ws_mysrc');
});
after(async () => { await svc?.destroy(); await mdb?.destroy(); });

interface SourceAccess { host: string; port: number; user?: string; password?: string }

/** A MySQL data source named `name` for database `db`, reached at host:port (the server itself, or a proxy in front of it). */
async function addDataSource(name: string, db: string, at: SourceAccess = mdb): Promise<void> {
  await call(svc.client(), 'CreateDataSource', {
    ProjectId: projectId, Name: name, DataSourceType: 'mysql', EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: `jdbc:mysql://${at.host}:${at.port}/${db}`, username: at.user ?? mdb.user, password: at.password ?? '', tag: 'public' }),
  });
}

/** Source and target databases `<name>_src` / `<name>_dst`, the source's tables from `ddl`, and a deployed task over `tables`. */
async function deployTask(name: string, ddl: string[], tables: string[], sourceAt?: SourceAccess | ((src: string) => Promise<SourceAccess>)): Promise<{ fileId: number; src: string; dst: string }> {
  const src = `${name}_src`, dst = `${name}_dst`;
  await mdb.createDatabase(src);
  await mdb.createDatabase(dst);
  for (const sql of ddl) await mdb.query(sql, [], src);
  await addDataSource(src, src, typeof sourceAt === 'function' ? await sourceAt(src) : sourceAt);
  await addDataSource(dst, dst);
  const fileId = await createDeployedTask(svc.client(), projectId, `${name}_task`,
    realtimeScript(src, dst, tables.map((t) => `${src}.${t}`), { reader: 'mysql', writer: 'mysql' }));
  return { fileId, src, dst };
}

async function start(fileId: number, startParam: object = {}): Promise<void> {
  const r = await taskCall(svc.client(), 'StartDISyncInstance', projectId, fileId, { StartParam: JSON.stringify({ failoverLimit: { count: 5, interval: 10 }, ...startParam }) });
  assert.equal(r.Data.Status, 'success', r.Data.Message);
}

const ids = async (db: string, table = 't') => (await mdb.query<{ id: number }[]>(`SELECT id FROM ${table} ORDER BY id`, [], db)).map((r) => Number(r.id));

/** A task over `t (id INT PRIMARY KEY)`, running, with row 1 applied. */
async function runningTask(name: string, sourceAt?: SourceAccess): Promise<{ fileId: number; src: string; dst: string }> {
  const task = await deployTask(name, ['CREATE TABLE t (id INT PRIMARY KEY)'], ['t'], sourceAt);
  await start(task.fileId);
  await waitForStatus(svc.client(), projectId, task.fileId, ['RUN']);
  await mdb.query('INSERT INTO t VALUES (1)', [], task.src);
  await waitUntil(async () => (await ids(task.dst)).length === 1 || undefined, 20_000, 'row 1 applied');
  return task;
}

test('a malformed startPosition fails the start with a clear error and never falls back to the checkpoint; a chosen position survives a failed first attempt', async () => {
  const proxy = await TcpProxy.start(mdb.host, mdb.port);
  try {
    const { fileId, src, dst } = await runningTask('badpos', proxy);
    await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
    await mdb.query('INSERT INTO t VALUES (2)', [], src); // a fallback to the checkpoint would apply it

    await start(fileId, { startPosition: { position: 'abc' } });
    const failed = await waitForStatus(svc.client(), projectId, fileId, ['FAILED']);
    assert.match(failed.Message, /not a MySQL source position: "abc"/);
    assert.match(failed.Message, /file:<binlog file>:<offset>/);
    assert.deepEqual(await ids(dst), [1], 'nothing applied from the checkpoint');

    // A well-formed position, but the source is unreachable at first: the restart still starts there.
    const [{ File, Position }] = await mdb.query<{ File: string; Position: number }[]>('SHOW MASTER STATUS');
    await mdb.query('INSERT INTO t VALUES (3)', [], src);
    proxy.refuse(true);
    await start(fileId, { startPosition: { position: `file:${File}:${Position}` } });
    await waitUntil(async () => /restart 1/.test((await taskCall(svc.client(), 'GetDISyncInstanceInfo', projectId, fileId)).Data.Message ?? '') || undefined,
      30_000, 'a failed first attempt');
    proxy.refuse(false);
    await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
    await waitUntil(async () => (await ids(dst)).includes(3) || undefined, 30_000, 'row 3 applied');
    assert.deepEqual(await ids(dst), [1, 3], 'started at the chosen position, not at the checkpoint');
    await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
  } finally {
    await proxy.close();
  }
});

test('a binlog dump that goes silent while rows are written is a stall: warning event, reconnect within the failover limit, nothing lost (default bound)', async () => {
  const proxy = await TcpProxy.start(mdb.host, mdb.port);
  try {
    const { fileId, src, dst } = await runningTask('stall', proxy);
    proxy.freeze(); // the dump thread (and every connection of the task open now) goes silent
    const frozenAt = Date.now();
    await mdb.query('INSERT INTO t VALUES (2), (3)', [], src);
    const restarted = await waitUntil(async () => {
      const info = (await taskCall(svc.client(), 'GetDISyncInstanceInfo', projectId, fileId)).Data;
      return /went silent/.test(info.Message ?? '') && info;
    }, 40_000, 'the stall to show');
    const shownAfter = Date.now() - frozenAt;
    console.log(`# a silent binlog dump shows in GetDISyncInstanceInfo after ${shownAfter} ms (default stall bound 10 s)`);
    assert.match(restarted.Message, /restart 1 of at most 5/);
    await waitUntil(async () => (await ids(dst)).length === 3 || undefined, 30_000, 'rows written during the silence applied');
    assert.deepEqual(await ids(dst), [1, 2, 3]);
    await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
    assert.match(svc.log, /SOURCE_STALLED/, 'the warning event is in the service log (the task event log until issue 10)');
    await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
  } finally {
    await proxy.close();
  }
});

test('binlog_row_image MINIMAL / NOBLOB in a writing session: absent columns are never written, the before image finds the row; an insert without columns fails naming the setting', async () => {
  const { fileId, src, dst } = await deployTask('image', ['CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10), n INT, big TEXT)'], ['t']);
  await start(fileId);
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await mdb.query(`INSERT INTO t VALUES (1, 'a', 10, 'big 1'), (2, 'b', 20, 'big 2'), (3, 'c', 30, 'big 3'), (4, 'd', 40, 'big 4')`, [], src);
  const all = 'SELECT id, v, n, big FROM t ORDER BY id';
  const same = async () => JSON.stringify(await mdb.query(all, [], src)) === JSON.stringify(await mdb.query(all, [], dst)) || undefined;
  await waitUntil(same, 20_000, 'the initial rows');
  const c = await mysql.createConnection(mdb.connectionConfig(src));
  try {
    await c.query(`SET SESSION binlog_row_image = 'MINIMAL'`);
    await c.query(`UPDATE t SET v = 'a2' WHERE id = 1`);
    await c.query('UPDATE t SET id = 20 WHERE id = 2'); // a key move: the row moves with its stored values
    await c.query('DELETE FROM t WHERE id = 3');
    await c.query(`SET SESSION binlog_row_image = 'NOBLOB'`);
    await c.query('UPDATE t SET n = 41 WHERE id = 4');
    await waitUntil(same, 20_000, 'target equal to source after partial images');
    assert.deepEqual((await mdb.query<{ id: number; v: string; n: number; big: string }[]>(all, [], dst)).map((r) => [r.id, r.v, r.n, r.big]),
      [[1, 'a2', 10, 'big 1'], [4, 'd', 41, 'big 4'], [20, 'b', 20, 'big 2']]);
    await c.query(`SET SESSION binlog_row_image = 'MINIMAL'`);
    await c.query(`INSERT INTO t (id, v) VALUES (9, 'nine')`); // n and big take defaults the binlog does not carry
  } finally { await c.end(); }
  const failed = await waitForStatus(svc.client(), projectId, fileId, ['FAILED']);
  assert.match(failed.Message, /needs binlog_row_image=FULL \(an insert on image_src\.t was logged without column\(s\) n, big/);
  assert.deepEqual((await ids(dst)), [1, 4, 20], 'the insert was not written with made-up values');
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('binlog_format switched to STATEMENT globally while the task runs: the first statement on a task table fails the task with the start check\'s message', async () => {
  const { fileId, src } = await deployTask('fmt', ['CREATE TABLE t (id INT PRIMARY KEY)', 'CREATE TABLE other (id INT PRIMARY KEY)'], ['t']);
  await start(fileId);
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await mdb.query(`SET GLOBAL binlog_format = 'STATEMENT'`);
  try {
    await mdb.query('INSERT INTO other VALUES (1)', [], src); // not a task table: no concern
    await mdb.query('INSERT INTO t VALUES (1)', [], src);
  } finally { await mdb.query(`SET GLOBAL binlog_format = 'ROW'`); }
  const failed = await waitForStatus(svc.client(), projectId, fileId, ['FAILED']);
  assert.match(failed.Message, /needs binlog_format=ROW \(INSERT on fmt_src\.t was logged as a statement/);
  assert.match(failed.Message, /SET GLOBAL binlog_format='ROW'/);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});

test('a least-privilege source user (SELECT + REPLICATION SLAVE + REPLICATION CLIENT) passes the config check and syncs; without REPLICATION SLAVE the task fails at once naming the GRANT', async () => {
  const user = async (name: string, grants: string[]): Promise<SourceAccess> => {
    await mdb.query(`CREATE USER '${name}'@'%' IDENTIFIED BY 'pw-${name}'`);
    for (const g of grants) await mdb.query(`GRANT ${g} TO '${name}'@'%'`);
    return { host: mdb.host, port: mdb.port, user: name, password: `pw-${name}` };
  };
  const { fileId, src, dst } = await deployTask('lp', ['CREATE TABLE t (id INT PRIMARY KEY, doc JSON)'], ['t'],
    (db) => user('lp_reader', [`SELECT ON \`${db}\`.* `, 'REPLICATION SLAVE, REPLICATION CLIENT ON *.*']));
  await start(fileId);
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await mdb.query(`INSERT INTO t VALUES (1, '{"k": [1, 2]}')`, [], src);
  await waitUntil(async () => (await ids(dst)).length === 1 || undefined, 20_000, 'row 1 applied');
  await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
  await waitForStatus(svc.client(), projectId, fileId, ['PAUSE', 'NORUN']);
  const dumps = (await mdb.query<{ User: string; Command: string }[]>('SHOW PROCESSLIST')).filter((p) => p.User === 'lp_reader' && /binlog dump/i.test(p.Command));
  assert.deepEqual(dumps, [], 'no dump thread left');
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);

  const noSlave = await deployTask('ns', ['CREATE TABLE t (id INT PRIMARY KEY)'], ['t'],
    (db) => user('ns_reader', [`SELECT ON \`${db}\`.* `, 'REPLICATION CLIENT ON *.*']));
  await start(noSlave.fileId);
  const failed = await waitForStatus(svc.client(), projectId, noSlave.fileId, ['FAILED']);
  assert.match(failed.Message, /GRANT REPLICATION SLAVE ON \*\.\* TO 'ns_reader'@'%';/);
  assert.doesNotMatch(failed.Message, /restart|failover/, 'failed at once, not after retries');
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, noSlave.fileId);
});

test('RENAME TABLE at the source: NORMAL renames the target and the task follows the table (also after a restart); WARNING keeps the original target table with an alert; CRITICAL fails', async () => {
  const tables = async (db: string) => (await mdb.query<{ t: string }[]>(
    `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME NOT LIKE 'opendi%' ORDER BY 1`, [db])).map((r) => r.t);
  const restart = async (fileId: number) => {
    await taskCall(svc.client(), 'StopDISyncInstance', projectId, fileId);
    await waitForStatus(svc.client(), projectId, fileId, ['PAUSE', 'NORUN']);
  };
  for (const mark of ['NORMAL', 'WARNING'] as const) {
    const { fileId, src, dst } = await deployTask(`ren_${mark.toLowerCase()}`, ['CREATE TABLE t (id INT PRIMARY KEY)'], ['t']);
    await start(fileId, { ddlMarkMap: { RENAMETABLE: mark } });
    await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
    await mdb.query('INSERT INTO t VALUES (1)', [], src);
    await waitUntil(async () => (await ids(dst)).length === 1 || undefined, 20_000, 'row 1 applied');
    await mdb.query('RENAME TABLE t TO t2', [], src);
    await mdb.query('INSERT INTO t2 VALUES (2)', [], src);
    const target = mark === 'NORMAL' ? 't2' : 't';
    await waitUntil(async () => ((await tables(dst)).includes(target) && (await ids(dst, target)).length === 2) || undefined, 20_000, `row 2 in ${target}`);
    assert.deepEqual(await tables(dst), [target]);
    if (mark === 'WARNING') {
      const info = (await taskCall(svc.client(), 'GetDISyncInstanceInfo', projectId, fileId)).Data;
      assert.equal(info.Metrics.AlertCount, 1);
      assert.match(info.Metrics.Alerts[0].message, /RENAMETABLE on ren_warning_src\.t skipped/);
    }
    // The task definition still names `t`: after a restart the task goes on following t2.
    await restart(fileId);
    await mdb.query('INSERT INTO t2 VALUES (3)', [], src);
    await start(fileId);
    await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
    await waitUntil(async () => (await ids(dst, target)).length === 3 || undefined, 20_000, `row 3 in ${target} after the restart`);
    assert.deepEqual(await ids(dst, target), [1, 2, 3]);
    await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
  }
  const { fileId, src } = await deployTask('ren_critical', ['CREATE TABLE t (id INT PRIMARY KEY)'], ['t']);
  await start(fileId, { ddlMarkMap: { RENAMETABLE: 'CRITICAL' } });
  await waitForStatus(svc.client(), projectId, fileId, ['RUN']);
  await mdb.query('RENAME TABLE t TO t2', [], src);
  const failed = await waitForStatus(svc.client(), projectId, fileId, ['FAILED']);
  assert.match(failed.Message, /RENAMETABLE on ren_critical_src\.t is marked CRITICAL/);
  await taskCall(svc.client(), 'TerminateDISyncInstance', projectId, fileId);
});
