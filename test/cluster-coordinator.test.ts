/**
 * The PostgreSQL coordinator against a real catalog database (src/cluster/postgres/): exactly one
 * of racing claims wins, fences only grow and start above the catalog's, a restart inside an owner
 * fails once the task was seized, a dead process's node is seen dead at once (its advisory lock is
 * gone), and a node whose lease session dies loses its lease and joins again under a new key.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { waitUntil } from './harness/realtime-scenario.ts';
import { PgCoordinator } from '../src/cluster/postgres/pg-coordinator.ts';
import { createLogger } from '../src/logger.ts';

let pgi: PgInstance;
const open: PgCoordinator[] = [];

before(async () => {
  pgi = await startPostgres();
  await pgi.createDatabase('coord');
});
after(async () => { for (const c of open) await c.close(); await pgi?.destroy(); });

async function node(name: string, seed = 0): Promise<PgCoordinator> {
  const c = new PgCoordinator({
    url: `postgres://${pgi.user}@${pgi.host}:${pgi.port}/coord`, nodeName: name, leaseMs: 5_000, heartbeatMs: 500,
    seedFence: async () => seed, logger: createLogger('silent'),
  });
  await c.start();
  open.push(c);
  return c;
}

test('racing claims: exactly one node wins, with a fence above the catalog seed', async () => {
  const [a, b, c] = await Promise.all([node('a', 41), node('b', 41), node('c', 41)]);
  const fences = await Promise.all([a, b, c].map((n) => n.claim(7, 0)));
  const winners = fences.filter((f) => f !== null);
  assert.equal(winners.length, 1, JSON.stringify(fences));
  assert.ok(winners[0]! > 41, `fence ${winners[0]} starts above the seed`);
  const winner = [a, b, c][fences.findIndex((f) => f !== null)];
  assert.ok(winner.holds(7, winners[0]!));
  // A restart inside the owner gets a higher fence; a seize takes the task and the old owner's restart fails.
  const next = (await winner.refence(7, winners[0]!))!;
  assert.ok(next > winners[0]!);
  const seized = await a.seize(7);
  assert.ok(seized > next);
  assert.equal(await winner.refence(7, next), null, 'no restart after losing the task');
  assert.equal(winner.holds(7, next), false);
  assert.deepEqual((await a.owners()).find((o) => o.taskId === 7), { taskId: 7, owner: null, fence: seized });
});

test('a node whose session dies is dead at once for the others, and joins again under a new key', async () => {
  const a = await node('x');
  const b = await node('y');
  const oldKey = a.nodeKey;
  const fence = (await a.claim(9, 0))!;
  let lost = false;
  a.onLeaseLost(() => { lost = true; });
  await pgi.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'opendi:x:lease'`, [], 'coord');
  await waitUntil(async () => !(await b.nodes()).find((n) => n.key === oldKey)?.live || undefined, 5_000, 'x to be seen dead');
  await waitUntil(async () => lost || undefined, 5_000, 'x to notice its lost lease');
  assert.equal(a.holds(9, fence), false);
  // The task is an orphan now: b claims it (CAS on the fence it saw).
  const taken = await b.claim(9, fence);
  assert.ok(taken !== null && taken > fence);
  await waitUntil(async () => (a.nodeKey !== oldKey && (await b.nodes()).find((n) => n.key === a.nodeKey)?.live) || undefined, 10_000, 'x to join again');
  assert.equal(await a.refence(9, fence), null, 'the old ownership is never inherited');
});
