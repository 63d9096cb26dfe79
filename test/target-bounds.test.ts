/**
 * Bounds of the target side (connection-pool.ts, postgres/checkpoint-sql.ts, mysql/checkpoint-sql.ts,
 * mysql/session.ts) against real sockets and databases: a target that accepts TCP but never
 * answers makes acquire() fail within the pool's bound with the slot given back and the socket
 * closed (and a setup statement left unanswered ends at the abort); a checkpoint claim blocked by a lock another session holds fails within its bound with
 * an error naming the table (and, on PostgreSQL, the holder), and succeeds once the lock is gone; row writes are bounded too.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { createLogger } from '../src/logger.ts';
import { TargetPools } from '../src/engine/sinks/target-pools.ts';
import { connectPg, setUpPgSession } from '../src/engine/postgres/connection.ts';
import { TcpProxy } from './harness/tcp-proxy.ts';
import { postgresCheckpoint } from '../src/engine/sinks/postgres/checkpoint-sql.ts';
import { postgresDialect } from '../src/engine/sinks/postgres/postgres-dialect.ts';
import { mysqlCheckpoint } from '../src/engine/sinks/mysql/checkpoint-sql.ts';
import { openSession } from '../src/engine/sinks/mysql/session.ts';

const logger = createLogger('silent');
let pgi: PgInstance;
let maria: MariaDbInstance;
before(async () => {
  [pgi, maria] = await Promise.all([startPostgres(), startMariaDb()]);
  await Promise.all([pgi.createDatabase('bounds'), maria.createDatabase('bounds')]);
});
after(async () => { await Promise.all([pgi?.destroy(), maria?.destroy()]); });

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a target that accepts TCP and never answers: acquire fails within the pool bound, the socket is closed, the slot is back', { timeout: 30_000 }, async () => {
  let accepted = 0;
  let closed = 0;
  const server = net.createServer((s) => {
    accepted++;
    s.on('error', () => undefined);
    s.on('close', () => closed++);
    s.resume(); // reads (and ignores) what the client sends, so its end is seen
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    for (const kind of ['postgresql', 'mysql'] as const) {
      const pools = new TargetPools(logger, { max: 1, acquireTimeoutMs: 400, idleMs: 60_000 });
      const use = pools.use(kind, { host: '127.0.0.1', port, database: 'silent', user: 'u', password: 'p' });
      const before = accepted;
      // Two at once with max 1: the second waits for the first's slot, which the failed open gives back.
      const results = await Promise.allSettled([use.pool.acquire(), use.pool.acquire()]);
      for (const r of results) {
        assert.equal(r.status, 'rejected', kind);
        assert.match(String((r as PromiseRejectedResult).reason), /could not open a target connection of .*silent within 400 ms.*the task retries/, kind);
      }
      assert.equal(use.pool.size, 0, `${kind}: the pool's count is restored`);
      assert.equal(accepted - before, 2, `${kind}: the waiter got its own attempt`);
      await until(() => closed === accepted, `${kind}: the half-open connections closed`);
      use.release();
    }
  } finally {
    server.close();
  }
});

test('PostgreSQL: a setup statement the server never answers ends at the abort, the connection dropped', { timeout: 30_000 }, async () => {
  const proxy = await TcpProxy.start(pgi.host, pgi.port);
  const c = await connectPg({ host: '127.0.0.1', port: proxy.port, database: 'bounds', user: pgi.user }, 'opendi-test', () => undefined);
  try {
    proxy.freeze();
    const signal = AbortSignal.timeout(300);
    await assert.rejects(setUpPgSession(c, ['SET synchronous_commit = on'], signal));
    assert.ok(signal.aborted);
    // Dropped: the client is done, nothing more can run on it.
    await assert.rejects(c.query('SELECT 1'));
  } finally {
    await proxy.close();
  }
});

const owner = { installationId: 'bounds', taskId: 1 };

test('PostgreSQL: a checkpoint claim blocked by another session fails within lock_timeout, naming the table and the holder', { timeout: 60_000 }, async () => {
  const c = await connectPg({ host: pgi.host, port: pgi.port, database: 'bounds', user: pgi.user }, 'opendi-test', () => undefined);
  const stray = new pg.Client({ ...pgi.connectionConfig('bounds'), application_name: 'stray-session' });
  await stray.connect();
  try {
    const cp = postgresCheckpoint('bounds', 300);
    await cp.ensureTables(c, owner);
    assert.deepEqual(await cp.claim(c, owner, 1), { position: null, dirtyRecords: 0 });

    // A row lock held by an idle-in-transaction session.
    await stray.query('BEGIN');
    await stray.query(`SELECT * FROM opendi.sync_checkpoint WHERE task_id = 1 FOR UPDATE`);
    await assert.rejects(cp.claim(c, owner, 2), (err: Error) => {
      assert.match(err.message, /checkpoint table opendi\.sync_checkpoint in database "bounds" stayed locked by another session for 300 ms; held by pid \d+ \(application 'stray-session', idle in transaction/);
      assert.equal((err as { code?: string }).code, '55P03');
      return true;
    });
    // Inside the sink's open transaction, the commit's write is bounded too.
    await c.query('BEGIN');
    await assert.rejects(cp.write(c, owner, 1, '0/5'), /opendi\.sync_checkpoint .* stayed locked/);
    await c.query('ROLLBACK');
    await stray.query('ROLLBACK');
    assert.deepEqual(await cp.claim(c, owner, 2), { position: null, dirtyRecords: 0 });

    // The whole table locked (a LOCK TABLE left open).
    await stray.query('BEGIN');
    await stray.query('LOCK TABLE opendi.sync_checkpoint IN ACCESS EXCLUSIVE MODE');
    await assert.rejects(cp.claim(c, owner, 3), /stayed locked by another session for 300 ms; held by pid \d+ .*AccessExclusiveLock/);
    await stray.query('ROLLBACK');
    assert.deepEqual(await cp.claim(c, owner, 3), { position: null, dirtyRecords: 0 });
    // The commit's write sends its values as literals (one round trip with the bound): they arrive exactly.
    const position = `{"file":"a'b\\c"}`;
    await c.query('BEGIN');
    assert.equal(await cp.write(c, owner, 3, position), true);
    assert.equal(await cp.write(c, { ...owner, installationId: "x' OR '1'='1" }, 3, position), false);
    await c.query('COMMIT');
    assert.deepEqual(await cp.claim(c, owner, 4), { position, dirtyRecords: 0 });
    // The bound was SET LOCAL: the session's own setting is untouched.
    assert.equal((await c.query('SHOW lock_timeout')).rows[0].lock_timeout, '0');
  } finally {
    await stray.end().catch(() => undefined);
    await c.end();
  }
});

test('PostgreSQL: sink sessions bound the lock waits of row writes (50 s, the default their checkpoint statements return to); a blocked write fails retryably', { timeout: 60_000 }, async () => {
  const dialect = postgresDialect({ host: pgi.host, port: pgi.port, database: 'bounds', user: pgi.user }, 'opendi-test', logger);
  const c = await dialect.connect(() => undefined);
  const stray = new pg.Client(pgi.connectionConfig('bounds'));
  await stray.connect();
  try {
    const show = async () => (await c.query('SHOW lock_timeout')).rows[0].lock_timeout;
    assert.equal(await show(), '50s');
    await c.query('BEGIN');
    await c.query('SET LOCAL lock_timeout = 300');
    await c.query('SET LOCAL lock_timeout TO DEFAULT');
    assert.equal(await show(), '50s', 'after a checkpoint statement\'s own bound, the session\'s');
    await c.query('ROLLBACK');

    await c.query('CREATE TABLE public.rw (id int PRIMARY KEY, v text); INSERT INTO public.rw VALUES (1, \'a\')');
    await stray.query('BEGIN');
    await stray.query('SELECT * FROM public.rw WHERE id = 1 FOR UPDATE');
    await c.query('SET lock_timeout = 300'); // shorter for the test
    await c.query('BEGIN');
    const t0 = Date.now();
    await assert.rejects(c.query(`UPDATE public.rw SET v = 'b' WHERE id = 1`), (err: Error) => {
      assert.equal((err as { code?: string }).code, '55P03');
      assert.equal(dialect.permanentError(err), null, 'retryable: the task restarts and tries again');
      return true;
    });
    assert.ok(Date.now() - t0 < 5_000);
    await c.query('ROLLBACK');
  } finally {
    await stray.end().catch(() => undefined);
    dialect.destroy(c);
  }
});

test('MySQL: sink sessions bound lock waits; a claim blocked by another session fails naming the table, then succeeds', { timeout: 60_000 }, async () => {
  const s = await openSession({ host: maria.host, port: maria.port, database: 'bounds', user: maria.user, password: '' }, 'opendi-test', () => undefined);
  const stray = await mysql.createConnection(maria.connectionConfig('bounds'));
  try {
    const [vars] = await s.conn.query('SELECT @@SESSION.lock_wait_timeout AS mdl, @@SESSION.innodb_lock_wait_timeout AS innodb');
    assert.deepEqual((vars as { mdl: string; innodb: string }[]).map((v) => [Number(v.mdl), Number(v.innodb)]), [[50, 50]], 'metadata lock waits are bounded, not a year');
    // Shorter for the test; the statements are the ones under the session's bound.
    await s.conn.query('SET SESSION lock_wait_timeout = 1, innodb_lock_wait_timeout = 1');
    const cp = mysqlCheckpoint('bounds');
    await cp.ensureTables(s, owner);
    assert.deepEqual(await cp.claim(s, owner, 1), { position: null, dirtyRecords: 0 });

    await stray.query('START TRANSACTION');
    await stray.query('SELECT * FROM opendi_sync_checkpoint WHERE task_id = 1 FOR UPDATE');
    await assert.rejects(cp.claim(s, owner, 2), (err: Error) => {
      assert.match(err.message, /checkpoint table bounds\.opendi_sync_checkpoint stayed locked by another session/);
      assert.equal((err as { errno?: number }).errno, 1205);
      return true;
    });
    await stray.query('ROLLBACK');
    assert.deepEqual(await cp.claim(s, owner, 2), { position: null, dirtyRecords: 0 });

    await stray.query('LOCK TABLES opendi_sync_checkpoint WRITE');
    await assert.rejects(cp.claim(s, owner, 3), /bounds\.opendi_sync_checkpoint stayed locked/);
    await stray.query('UNLOCK TABLES');
    assert.deepEqual(await cp.claim(s, owner, 3), { position: null, dirtyRecords: 0 });
  } finally {
    await stray.end().catch(() => stray.destroy());
    await s.conn.end().catch(() => s.conn.destroy());
  }
});
