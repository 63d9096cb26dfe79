/**
 * The source server's limits that many tasks meet first (src/engine/sources/postgres/source-errors.ts):
 * each task holds one replication slot and, while it streams, one walsender. A task past either
 * limit fails with an error that names the setting to raise, and stays retryable (another task
 * stopping may free one). Real PostgreSQL servers started with the limits set low.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { PgPipelineEnv } from './harness/pg-pipeline.ts';
import { UnrecoverableError } from '../src/engine/errors.ts';

const servers: { pgi: PgInstance; env: PgPipelineEnv }[] = [];
after(async () => { for (const s of servers) { await s.env.stopAll(); await s.pgi.destroy(); } });

async function server(settings: Record<string, string>, prefix: string, firstTaskId: number) {
  const pgi = await startPostgres({ settings });
  const env = new PgPipelineEnv(pgi, prefix, firstTaskId);
  servers.push({ pgi, env });
  return env;
}

for (const { limit, settings, names } of [
  { limit: 'replication slots', settings: { max_replication_slots: '1' }, names: /max_replication_slots/ },
  { limit: 'walsenders', settings: { max_wal_senders: '1' }, names: /max_wal_senders/ },
]) {
  test(`a task past the source server's ${limit} fails retryably, naming the setting to raise`, async () => {
    const env = await server(settings, limit === 'walsenders' ? 'lw' : 'ls', limit === 'walsenders' ? 8100 : 8000);
    const ddl = 'CREATE TABLE t (id bigint PRIMARY KEY, v text)';
    const first = await env.fresh(ddl);
    const running = await env.launch(env.spec(first, 1, ['t']));
    await env.sql(first.src, `INSERT INTO t VALUES (1, 'a')`);
    await env.waitEqual(first, 't');
    const second = await env.fresh(ddl);
    const err = await env.launch(env.spec(second, 1, ['t'])).then(() => assert.fail('the second task streams'), (e: Error) => e);
    assert.match(err.message, names, err.message);
    assert.match(err.message, /raise \w+ in its postgresql\.conf/, 'says what to do, which PostgreSQL keeps in its HINT');
    assert.ok(!(err instanceof UnrecoverableError), 'retryable: another task stopping frees one');
    // The first task streams on.
    await env.sql(first.src, `INSERT INTO t VALUES (2, 'b')`);
    await env.waitEqual(first, 't');
    await running.p.stop();
  });
}
