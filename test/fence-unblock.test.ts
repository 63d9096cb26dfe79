/**
 * The forced path's target fence raise (src/engine/sinks/raise-fence.ts) against real targets: a
 * session named like a frozen owner's (`opendi:<node>:...`) holds the task's checkpoint row locked
 * in an open transaction (as an owner stopped between its checkpoint UPDATE and COMMIT does);
 * fenceTarget for that node ends the session and raises the fence within a few seconds. A holder
 * named for another node is never ended: the raise fails within its bound naming the table and
 * the holder, which is still alive. MariaDB without performance_schema (no names to read) falls
 * back to the target's user and a transaction idle since before the look.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { fenceTarget } from '../src/engine/pipeline.ts';
import type { TargetSpec } from '../src/engine/ports.ts';
import { createLogger } from '../src/logger.ts';

const logger = createLogger('silent');
const INSTALLATION = 'fence-test';
/** The raise's bound: a lock wait of 3 s (raise-fence.ts), a retry only after ending a holder. */
const WITHIN_MS = 5_000;

let pgi: PgInstance;
let named: MariaDbInstance;
let unnamed: MariaDbInstance;
before(async () => {
  [pgi, named, unnamed] = await Promise.all([startPostgres(), startMariaDb({ settings: { performance_schema: 'ON' } }), startMariaDb()]);
  await Promise.all([pgi.createDatabase('fence'), named.createDatabase('fence'), unnamed.createDatabase('fence')]);
});
after(async () => { await Promise.all([pgi?.destroy(), named?.destroy(), unnamed?.destroy()]); });

function pgTarget(): TargetSpec {
  return { kind: 'postgresql', endpoint: { host: pgi.host, port: pgi.port, database: 'fence', user: pgi.user }, schema: null, installationId: INSTALLATION };
}
function myTarget(m: MariaDbInstance): TargetSpec {
  return { kind: 'mysql', endpoint: { host: m.host, port: m.port, database: 'fence', user: m.user, password: '' }, schema: 'fence', installationId: INSTALLATION };
}

async function timed<R>(work: () => Promise<R>): Promise<{ ms: number; result: R | Error }> {
  const t0 = Date.now();
  const result = await work().catch((err: Error) => err);
  return { ms: Date.now() - t0, result };
}

/** A PostgreSQL session named `name` holding task `taskId`'s checkpoint row locked (UPDATE, no COMMIT). */
async function pgHolder(name: string, taskId: number): Promise<{ c: pg.Client; pid: number; errors: Error[] }> {
  const c = new pg.Client({ ...pgi.connectionConfig('fence'), application_name: name });
  const errors: Error[] = [];
  c.on('error', (err) => errors.push(err));
  await c.connect();
  const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  await c.query('BEGIN');
  const r = await c.query(`UPDATE opendi.sync_checkpoint SET position = 'uncommitted' WHERE installation_id = $1 AND task_id = $2`, [INSTALLATION, taskId]);
  assert.equal(r.rowCount, 1);
  return { c, pid, errors };
}

async function pgRow(taskId: number): Promise<{ fence: number; position: string | null }> {
  const c = new pg.Client(pgi.connectionConfig('fence'));
  await c.connect();
  try {
    const r = await c.query(`SELECT fence, position FROM opendi.sync_checkpoint WHERE installation_id = $1 AND task_id = $2`, [INSTALLATION, taskId]);
    return { fence: Number(r.rows[0].fence), position: r.rows[0].position };
  } finally {
    await c.end();
  }
}

async function pgAlive(pid: number): Promise<boolean> {
  const c = new pg.Client(pgi.connectionConfig('fence'));
  await c.connect();
  try {
    return (await c.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;
  } finally {
    await c.end();
  }
}

test('PostgreSQL: a checkpoint row held by a session of the frozen owner node is freed by ending that session, and the fence is raised', { timeout: 60_000 }, async () => {
  const taskId = 7;
  await fenceTarget({ taskId, target: pgTarget() }, 1, logger);
  for (const [name, fence] of [[`opendi:n-frozen:${taskId}`, 2], ['opendi:n-frozen:target-pool', 3]] as const) {
    const holder = await pgHolder(name, taskId);
    const { ms, result } = await timed(() => fenceTarget({ taskId, target: pgTarget() }, fence, logger, 'n-frozen'));
    console.log(`# PostgreSQL fence raise past a holder named ${name}: ${ms} ms`);
    assert.equal(result, undefined, String(result));
    assert.ok(ms < WITHIN_MS, `within ${WITHIN_MS} ms: ${ms}`);
    assert.deepEqual(await pgRow(taskId), { fence, position: null }, 'the fence is raised; the holder\'s uncommitted write rolled back');
    for (let i = 0; i < 50 && await pgAlive(holder.pid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await pgAlive(holder.pid), false, 'the holder session is gone');
    await holder.c.end().catch(() => undefined);
  }
});

test('PostgreSQL: a holder named for another node is not ended; the raise fails within its bound naming the table and the holder', { timeout: 60_000 }, async () => {
  const taskId = 8;
  await fenceTarget({ taskId, target: pgTarget() }, 1, logger);
  // Node n-frozen:8080 (node names may hold colons): its name starts like the frozen node's, yet it is another node.
  const holder = await pgHolder(`opendi:n-frozen:8080:${taskId}`, taskId);
  try {
    const { ms, result } = await timed(() => fenceTarget({ taskId, target: pgTarget() }, 2, logger, 'n-frozen'));
    assert.ok(result instanceof Error, 'the raise fails');
    assert.ok(ms < WITHIN_MS, `within ${WITHIN_MS} ms: ${ms}`);
    assert.match(result.message, /opendi\.sync_checkpoint/);
    assert.match(result.message, new RegExp(`blocked by session ${holder.pid} \\('opendi:n-frozen:8080:${taskId}', idle in transaction\\), not ended: not a session of node n-frozen`));
    assert.equal((await holder.c.query('SELECT 1 AS one')).rows[0].one, 1, 'the holder is alive');
    // Nobody knows which node did not answer: nothing is ended either.
    const unknown = await timed(() => fenceTarget({ taskId, target: pgTarget() }, 2, logger, null));
    assert.ok(unknown.result instanceof Error && unknown.ms < WITHIN_MS);
    assert.equal(await pgAlive(holder.pid), true);
    assert.deepEqual(holder.errors, []);
  } finally {
    await holder.c.query('ROLLBACK');
    await holder.c.end();
  }
  assert.equal((await pgRow(taskId)).fence, 1, 'the fence was not raised while the row was held');
  await fenceTarget({ taskId, target: pgTarget() }, 2, logger, 'n-frozen');
  assert.equal((await pgRow(taskId)).fence, 2, 'and is once the holder is gone');
});

/** A MariaDB session with program_name `name` holding task `taskId`'s checkpoint row locked. */
async function myHolder(m: MariaDbInstance, name: string, taskId: number): Promise<{ c: mysql.Connection; id: number }> {
  const c = await mysql.createConnection({ ...m.connectionConfig('fence'), connectAttributes: { program_name: name } });
  c.on('error', () => undefined);
  const [[row]] = await c.query('SELECT CONNECTION_ID() AS id') as unknown as [{ id: number }[]];
  await c.query('START TRANSACTION');
  const [r] = await c.query(`UPDATE opendi_sync_checkpoint SET position = 'uncommitted' WHERE installation_id = ? AND task_id = ?`, [INSTALLATION, taskId]);
  assert.equal((r as { affectedRows: number }).affectedRows, 1);
  return { c, id: Number(row.id) };
}

async function myQuery<R>(m: MariaDbInstance, sql: string, values: unknown[] = []): Promise<R[]> {
  const c = await mysql.createConnection(m.connectionConfig('fence'));
  try {
    return (await c.query(sql, values))[0] as R[];
  } finally {
    await c.end();
  }
}
const myRow = async (m: MariaDbInstance, taskId: number) => (await myQuery<{ fence: string; position: string | null }>(m,
  'SELECT fence, position FROM opendi_sync_checkpoint WHERE installation_id = ? AND task_id = ?', [INSTALLATION, taskId])).map((r) => ({ fence: Number(r.fence), position: r.position }))[0];
const myAlive = async (m: MariaDbInstance, id: number) => (await myQuery(m, 'SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ?', [id])).length === 1;

for (const kind of ['named', 'unnamed'] as const) {
  const label = kind === 'named' ? 'MariaDB (performance_schema on: program_name)' : 'MariaDB (performance_schema off: user and idle transaction)';
  test(`${label}: a checkpoint row held by a session of the frozen owner node is freed by ending that session, and the fence is raised`, { timeout: 60_000 }, async () => {
    const m = kind === 'named' ? named : unnamed;
    const taskId = 7;
    await fenceTarget({ taskId, target: myTarget(m) }, 1, logger);
    const holder = await myHolder(m, `opendi:n-frozen:${taskId}`, taskId);
    const { ms, result } = await timed(() => fenceTarget({ taskId, target: myTarget(m) }, 2, logger, 'n-frozen'));
    console.log(`# ${label} fence raise past a frozen holder: ${ms} ms`);
    assert.equal(result, undefined, String(result));
    assert.ok(ms < WITHIN_MS, `within ${WITHIN_MS} ms: ${ms}`);
    assert.deepEqual(await myRow(m, taskId), { fence: 2, position: null });
    assert.equal(await myAlive(m, holder.id), false, 'the holder session is gone');
    holder.c.destroy();
  });
}

test('MariaDB (performance_schema on): a holder named for another node is not ended; the raise fails within its bound naming the table and the holder', { timeout: 60_000 }, async () => {
  const taskId = 8;
  await fenceTarget({ taskId, target: myTarget(named) }, 1, logger);
  const holder = await myHolder(named, `opendi:n-live:${taskId}`, taskId);
  try {
    const { ms, result } = await timed(() => fenceTarget({ taskId, target: myTarget(named) }, 2, logger, 'n-frozen'));
    assert.ok(result instanceof Error, 'the raise fails');
    assert.ok(ms < WITHIN_MS, `within ${WITHIN_MS} ms: ${ms}`);
    assert.match(result.message, /fence\.opendi_sync_checkpoint stayed locked/);
    assert.match(result.message, new RegExp(`blocked by session ${holder.id} \\('opendi:n-live:${taskId}', idle in transaction, trx running\\), not ended: not a session of node n-frozen`));
    assert.equal(await myAlive(named, holder.id), true, 'the holder is alive');
    assert.deepEqual((await holder.c.query('SELECT 1 AS one'))[0], [{ one: 1 }]);
  } finally {
    await holder.c.query('ROLLBACK');
    await holder.c.end();
  }
  assert.equal((await myRow(named, taskId)).fence, 1, 'the fence was not raised while the row was held');
});
