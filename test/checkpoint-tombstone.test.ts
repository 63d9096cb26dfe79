/**
 * Terminate in a cluster keeps the target checkpoint as a tombstone (docs/target-checkpoint.md;
 * README "Running several nodes"): no position, a fence above every earlier owner's. A stale owner
 * can then neither claim the task again nor commit, and the next Start (a newer fence) begins from
 * scratch. Without a tombstone (one process) the row is deleted as before.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { withDb } from './harness/realtime-scenario.ts';
import { openSink, type TargetSpec } from '../src/engine/ports.ts';
import { FencedError } from '../src/engine/errors.ts';
import { createLogger } from '../src/logger.ts';
import { TargetPools } from '../src/engine/sinks/target-pools.ts';

let pgi: PgInstance;
let target: TargetSpec;
const logger = createLogger('silent');

before(async () => {
  pgi = await startPostgres();
  await pgi.createDatabase('tomb');
  target = { kind: 'postgresql', endpoint: { host: pgi.host, port: pgi.port, database: 'tomb', user: pgi.user }, schema: null, installationId: 'inst' };
});
after(async () => { await pgi?.destroy(); });

const row = () => withDb(pgi, 'tomb', async (c) => (await c.query(`SELECT position, fence::int FROM opendi.sync_checkpoint WHERE task_id = 42`)).rows);

// Sinks on their own connections, and on a shared target pool as the service opens them.
for (const pooled of [false, true]) test(`a tombstoned checkpoint refuses the stale owner and starts the next owner from scratch${pooled ? ' (shared target pool)' : ''}`, async () => {
  const spec: TargetSpec = pooled ? { ...target, pools: new TargetPools(logger) } : target;
  const sink = () => openSink(42, spec, 'opendi:test', logger);
  const zombie = sink();
  await zombie.claim(5);
  await zombie.commit('pos-a');
  const terminate = sink();
  await terminate.discardCheckpoint(7);
  await terminate.close();
  assert.deepEqual(await row(), [{ position: null, fence: 7 }]);
  await assert.rejects(zombie.commit('pos-b'), FencedError, 'the stale owner cannot commit');
  await zombie.close();
  const late = sink();
  await assert.rejects(late.claim(6), FencedError, 'nor claim the task back');
  await late.close();
  const next = sink();
  assert.equal((await next.claim(8)).position, null, 'the next Start begins from scratch');
  await next.close();
  const local = sink();
  await local.discardCheckpoint();
  await local.close();
  assert.deepEqual(await row(), [], 'one process: the row is deleted');
});
