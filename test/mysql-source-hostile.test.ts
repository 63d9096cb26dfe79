/**
 * The MySQL/MariaDB source against hostile servers (test/harness/fake-mysql-server.ts): a server
 * that resets after the login, answers with garbage, goes silent, or never greets. Every step of
 * the source fails within its bound with an error; nothing hangs, and the process never sees an
 * unhandled error (the test runner would fail the file).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMySqlServer, type FakeMode } from './harness/fake-mysql-server.ts';
import { MySqlSource } from '../src/engine/sources/mysql/mysql-source.ts';
import { BinlogConnection } from '../src/engine/sources/mysql/binlog-connection.ts';
import { createLogger } from '../src/logger.ts';

const logger = createLogger('silent');
const BOUND = 800;
const fakes = new Map<FakeMode, FakeMySqlServer>();
const unexpected: unknown[] = [];
const onUncaught = (err: unknown) => { unexpected.push(err); };

before(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  for (const mode of ['reset', 'garbage', 'silent', 'mute'] as const) fakes.set(mode, await FakeMySqlServer.start(mode));
});
after(async () => {
  for (const f of fakes.values()) await f.close();
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

/** The time `p` takes to reject, or a failure when it resolves or outlasts `limitMs`. */
async function rejectsWithin(p: Promise<unknown>, limitMs: number, what: string): Promise<{ ms: number; err: Error }> {
  const t0 = Date.now();
  const outcome = await Promise.race([
    p.then(() => 'resolved', (err: Error) => err),
    new Promise<string>((r) => setTimeout(() => r('hung'), limitMs).unref()),
  ]);
  assert.ok(outcome instanceof Error, `${what}: ${String(outcome)}`);
  return { ms: Date.now() - t0, err: outcome };
}

for (const mode of ['reset', 'garbage', 'silent', 'mute'] as const) {
  test(`a source server that ${mode === 'mute' ? 'never greets' : mode === 'silent' ? 'goes silent after the login' : mode === 'reset' ? 'resets after the login' : 'answers with garbage'}: every step fails within its bound, nothing crashes`, async () => {
    const fake = fakes.get(mode)!;
    const endpoint = { host: fake.host, port: fake.port, database: 'd', user: 'u', password: 'p' };
    // 'mute' is bounded by the login timeout (connectTimeout, 10 s); the others by the statement bound.
    const limit = mode === 'mute' ? 15_000 : BOUND + 5_000;
    const src = new MySqlSource({ endpoint, serverId: 1, tables: [{ schema: 'd', table: 't' }], statementTimeoutMs: BOUND }, 'test', logger);
    const steps: [string, () => Promise<unknown>][] = [
      ['prepare', () => src.prepare({ position: null, mustExist: false })],
      ['open', () => src.open('file:mysql-bin.000001:4')],
      ['headPosition', () => src.headPosition()],
    ];
    for (const [name, step] of steps) {
      const { ms, err } = await rejectsWithin(step(), limit, `${mode} ${name}`);
      console.log(`# ${mode}: ${name} failed after ${ms} ms: ${err.message.slice(0, 100)}`);
    }
    await rejectsWithin(src.destroy().then(() => { throw new Error('destroyed'); }), limit, `${mode} destroy`);
    const dump = new BinlogConnection(endpoint, { onEvent: () => undefined, onError: () => undefined });
    await rejectsWithin(dump.start({ serverId: 1, file: 'mysql-bin.000001', offset: 4, heartbeatMs: 1000, mariaDb: true, deadAfterMs: BOUND, stepTimeoutMs: BOUND }),
      limit, `${mode} binlog dump start`);
    dump.destroy();
    await new Promise((r) => setTimeout(r, 200)); // late socket events
    assert.deepEqual(unexpected.map(String), [], 'no uncaught error or unhandled rejection');
  });
}
