/**
 * Shared target pools (src/engine/sinks/target-pools.ts, src/engine/connection-pool.ts) against a real
 * PostgreSQL: tasks writing one target share a bounded pool and hold a connection only inside a
 * transaction; a connection that broke under one task is destroyed, never handed to a sibling;
 * a full pool makes a waiter fail after its bound; the last task letting go closes the pool.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { createLogger } from '../src/logger.ts';
import { openSink } from '../src/engine/ports.ts';
import { TargetPools } from '../src/engine/sinks/target-pools.ts';
import type { RelationInfo } from '../src/engine/change-event.ts';
import type { TableSchema } from '../src/engine/table-schema.ts';

let pgi: PgInstance;
const logger = createLogger('silent');
before(async () => { pgi = await startPostgres(); await pgi.createDatabase('pooled'); });
after(async () => { await pgi?.destroy(); });

const schema: TableSchema = {
  dialect: 'postgresql',
  columns: [
    { name: 'id', type: 'integer', logical: { kind: 'integer', bytes: 4, unsigned: false }, isKey: true, notNull: true },
    { name: 'v', type: 'text', logical: { kind: 'text', length: null, fixed: false }, isKey: false, notNull: false },
  ],
};
const rel = (table: string): RelationInfo => ({ id: 1, schema: 'public', table, columns: [{ name: 'id', isKey: true }, { name: 'v', isKey: false }] });
const poolConnections = async () => (await pgi.query(`SELECT state FROM pg_stat_activity WHERE application_name = 'opendi:target-pool' ORDER BY 1`, [], 'postgres')).rows.map((r) => r.state as string);

test('tasks share a bounded pool; a broken connection is not reused; waits are bounded; the pool closes with its last task', async () => {
  const pools = new TargetPools(logger, { max: 2, acquireTimeoutMs: 1_500, idleMs: 60_000 });
  // A task's endpoint carries its own connection name (pipeline-factory.ts); the shared connections still show the pool's.
  const target = { kind: 'postgresql' as const, endpoint: { host: pgi.host, port: pgi.port, database: 'pooled', user: pgi.user, connectionName: 'opendi:node-a:1' }, schema: 'public', installationId: 'pools', pools };
  const [a, b, c] = [1, 2, 3].map((task) => openSink(task, target, 'unused', logger));
  const [ra, rb, rc] = [rel('a'), rel('b'), rel('c')];
  for (const [s, r] of [[a, ra], [b, rb], [c, rc]] as const) {
    await s.claim(1);
    await s.prepareTable(r, async () => schema);
    await s.commit('0/1');
  }
  assert.ok((await poolConnections()).length >= 1, 'the pooled connections are named for the pool, not for the first task that opened them');
  assert.ok((await poolConnections()).length <= 2, 'three tasks, at most two connections');
  assert.ok((await poolConnections()).every((st) => st === 'idle'), 'between transactions nobody holds one');

  // Task a's connection breaks in the middle of its transaction.
  await a.apply([{ op: 'insert', relation: ra, values: ['1', 'x'] }]);
  await pgi.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'opendi:target-pool' AND state = 'idle in transaction'`, [], 'postgres');
  await assert.rejects(a.commit('0/2'));
  await a.destroy();
  // Its siblings go on, on connections that were not broken (a reused broken one would fail them).
  for (let i = 0; i < 5; i++) {
    await b.apply([{ op: 'insert', relation: rb, values: [String(i), 'y'] }]);
    await b.commit(`0/${10 + i}`);
    await c.apply([{ op: 'insert', relation: rc, values: [String(i), 'z'] }]);
    await c.commit(`0/${10 + i}`);
  }
  assert.equal(Number((await pgi.query(`SELECT count(*) AS n FROM public.b`, [], 'pooled')).rows[0].n), 5);

  // Both connections held in open transactions: a third task waits at most its bound, then fails (retryable).
  const d = openSink(4, target, 'unused', logger);
  await b.apply([{ op: 'insert', relation: rb, values: ['100', 'y'] }]);
  await c.apply([{ op: 'insert', relation: rc, values: ['100', 'z'] }]);
  await assert.rejects(d.claim(1), /no target connection .* became free within 1500 ms/);
  await Promise.all([b.commit('0/20'), c.commit('0/20')]);
  await d.claim(1);

  for (const s of [b, c, d]) await s.close();
  for (let i = 0; i < 50 && (await poolConnections()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await poolConnections(), [], 'the last task letting go closes the pool');
});

test('a table first seen while every lane holds a pooled connection in its transaction is created on a session of its own, not a pooled one', async () => {
  const pools = new TargetPools(logger, { max: 2, acquireTimeoutMs: 1_500, idleMs: 60_000 });
  const target = { kind: 'postgresql' as const, endpoint: { host: pgi.host, port: pgi.port, database: 'pooled', user: pgi.user }, schema: 'public', installationId: 'pools-lanes', pools, lanes: 2 };
  const sink = openSink(7, target, 'unused', logger);
  const [old, fresh] = [rel('lanes_old'), rel('lanes_new')];
  await sink.claim(1);
  await sink.prepareTable(old, async () => schema);
  await sink.commit('0/1');
  // Enough keys that both lanes get rows: each lane opens its transaction on a pooled connection.
  await sink.apply(Array.from({ length: 40 }, (_, i) => ({ op: 'insert' as const, relation: old, values: [String(i), 'x'] })));
  assert.deepEqual(await poolConnections(), ['idle in transaction', 'idle in transaction'], 'both lanes hold the pool');
  // Before: the DDL waited for a third pooled connection behind the lanes' own, and failed after the bound.
  await sink.prepareTable(fresh, async () => schema);
  await sink.apply([{ op: 'insert', relation: fresh, values: ['1', 'y'] }]);
  await sink.commit('0/2');
  assert.equal(Number((await pgi.query(`SELECT count(*) AS n FROM public.lanes_new`, [], 'pooled')).rows[0].n), 1);
  assert.equal(Number((await pgi.query(`SELECT count(*) AS n FROM public.lanes_old`, [], 'pooled')).rows[0].n), 40);
  await sink.close();
});
