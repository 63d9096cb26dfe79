/**
 * New rows reach a PostgreSQL target by COPY FROM STDIN (sinks/postgres/copy-rows.ts): the COPY
 * text escapes what the format reserves, the rows land exactly as the INSERT would land them
 * (tricky text, bytea, json, arrays, identity columns GENERATED ALWAYS), a replay over rows the
 * target holds falls back to the upsert, and a table with a rewrite rule (COPY would skip it) or
 * with row-level security that applies to the writer (COPY would be refused) keeps the INSERT.
 * Which statement wrote a row is read off the target itself: a statement trigger logs
 * current_query(). Real PostgreSQL source and target.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { copyText } from '../src/engine/sinks/postgres/copy-rows.ts';
import { UNCHANGED } from '../src/engine/change-event.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { PgPipelineEnv, type Ctx } from './harness/pg-pipeline.ts';

describe('COPY text', () => {
  test('tab, newline, carriage return and backslash are escaped; NULL is \\N; the rest goes as is', () => {
    assert.equal(copyText([['1', 'a\tb'], ['2', 'x\ny\r\n'], ['3', 'c:\\dir'], ['4', null], ['5', '\\N'], ['6', ''], ['7', '€"\'{,}']]),
      '1\ta\\tb\n2\tx\\ny\\r\\n\n3\tc:\\\\dir\n4\t\\N\n5\t\\\\N\n6\t\n7\t€"\'{,}\n');
  });
  test('a bytea in hex keeps its backslash escaped', () => {
    assert.equal(copyText([['\\x00ff']]), '\\\\x00ff\n');
  });
  test('a value that is not text gives null (the caller then inserts)', () => {
    assert.equal(copyText([['1', UNCHANGED]]), null);
  });
});

let pgi: PgInstance;
let env: PgPipelineEnv;
before(async () => { pgi = await startPostgres(); env = new PgPipelineEnv(pgi, 'copyrows', 7900); });
after(async () => { await env?.stopAll(); await pgi?.destroy(); });

/** A statement trigger on `table` of the target that logs which statement wrote to it (ENABLE ALWAYS: the sink may run as replica). */
const statementLog = (table: string) => `
  CREATE TABLE IF NOT EXISTS stmt_log (n bigserial PRIMARY KEY, tbl text NOT NULL, query text NOT NULL);
  CREATE OR REPLACE FUNCTION log_stmt() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN INSERT INTO stmt_log (tbl, query) VALUES (TG_TABLE_NAME, current_query()); RETURN NULL; END $$;
  CREATE TRIGGER log_${table} AFTER INSERT ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION log_stmt();
  ALTER TABLE ${table} ENABLE ALWAYS TRIGGER log_${table};`;

/** The first word of each statement that inserted into `table`, in order. */
const writers = async (ctx: Ctx, table: string) =>
  (await env.tsql(ctx, `SELECT upper(split_part(ltrim(query), ' ', 1)) AS verb FROM stmt_log WHERE tbl = $1 ORDER BY n`, [table])).map((r) => r.verb as string);

const COLUMNS = 'id bigint PRIMARY KEY, v text, b bytea, j jsonb, a text[], ts timestamptz, n numeric(12,3)';
const TRICKY_ROWS = `INSERT INTO t VALUES
  (1, E'tab\\there', E'\\\\x00ff5c09', '{"k": "back\\\\slash\\n", "u": "€"}', ARRAY[E'a\\tb', 'c"d', NULL, E'\\\\'], '2024-02-29 23:59:59.999999+00', 123456789.125),
  (2, E'line\\nbreak\\r\\nand CR', '', '[]', '{}', '-infinity', -0.001),
  (3, E'\\\\N', NULL, 'null', ARRAY['NULL'], NULL, NULL),
  (4, '', E'\\\\x', '"\\\\t"', ARRAY['', ' '], 'infinity', 0),
  (5, NULL, E'\\\\x5c4e', '{"a": [1, 2.5e3, true, null]}', NULL, '1999-12-31 23:00:00-05', 1e6)`;

test('fresh rows with every escaped character, bytea, json, arrays and timestamps land by COPY exactly as in the source', async () => {
  const ctx = await env.fresh(`CREATE TABLE t (${COLUMNS})`);
  await env.tsql(ctx, `CREATE TABLE t (${COLUMNS}); ${statementLog('t')}`);
  const { p } = await env.launch(env.spec(ctx, 1, ['t']));
  await env.sql(ctx.src, TRICKY_ROWS);
  const { n } = await env.waitEqual(ctx, 't');
  assert.equal(n, 5);
  assert.deepEqual(await writers(ctx, 't'), ['COPY'], 'one COPY wrote the new rows');
  const back = await env.tsql(ctx, `SELECT v, encode(b, 'hex') AS b FROM t WHERE id IN (1, 3) ORDER BY id`);
  assert.deepEqual(back, [{ v: 'tab\there', b: '00ff5c09' }, { v: '\\N', b: null }], 'a literal \\N stays text, not NULL');
  await p.stop();
});

test('an identity column GENERATED ALWAYS takes the source values by COPY', async () => {
  const ctx = await env.fresh('CREATE TABLE t (id bigint PRIMARY KEY, v text)');
  await env.tsql(ctx, `CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text); ${statementLog('t')}`);
  const { p } = await env.launch(env.spec(ctx, 1, ['t']));
  await env.sql(ctx.src, `INSERT INTO t SELECT g * 10, 'v' || g FROM generate_series(1, 500) g`);
  await env.waitEqual(ctx, 't');
  assert.deepEqual(await writers(ctx, 't'), ['COPY']);
  await p.stop();
});

test('rows the target already holds (a replay, or what the initial load copied): the COPY rolls back and the rows are upserted', async () => {
  const ctx = await env.fresh('CREATE TABLE t (id bigint PRIMARY KEY, v text)');
  await env.tsql(ctx, `CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t VALUES (2, 'stale'); ${statementLog('t')}`);
  const { p } = await env.launch(env.spec(ctx, 1, ['t']));
  await env.sql(ctx.src, `INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g`);
  await env.waitEqual(ctx, 't');
  // The unique violation on id 2 aborts the COPY before its statement trigger fires, and the
  // rollback to the savepoint undoes its rows.
  assert.deepEqual(await writers(ctx, 't'), ['INSERT'], 'the upsert (INSERT .. ON CONFLICT) wrote the rows');
  assert.deepEqual((await env.tsql(ctx, `SELECT v FROM t WHERE id = 2`))[0], { v: 'v2' });
  await p.stop();
});

test('a table with a rewrite rule keeps the INSERT, and its rule (ENABLE ALWAYS: the sink may run as replica) runs for every row', async () => {
  const ctx = await env.fresh('CREATE TABLE t (id bigint PRIMARY KEY, v text)');
  await env.tsql(ctx, `CREATE TABLE t (id bigint PRIMARY KEY, v text); CREATE TABLE t_seen (id bigint);
    CREATE RULE t_also AS ON INSERT TO t DO ALSO INSERT INTO t_seen VALUES (NEW.id);
    ALTER TABLE t ENABLE ALWAYS RULE t_also; ${statementLog('t')}`);
  const { p } = await env.launch(env.spec(ctx, 1, ['t']));
  await env.sql(ctx.src, `INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 200) g`);
  await env.waitEqual(ctx, 't');
  assert.deepEqual(await writers(ctx, 't'), ['INSERT']);
  assert.equal((await env.tsql(ctx, 'SELECT count(*)::int AS n FROM t_seen'))[0].n, 200, 'the rule saw every row');
  await p.stop();
});

test('a table with row-level security keeps the INSERT: PostgreSQL refuses COPY FROM where a policy applies to the writer', async () => {
  const ctx = await env.fresh('CREATE TABLE t (id bigint PRIMARY KEY, v text)');
  // A target user the policies apply to: not a superuser, not the table's owner, no BYPASSRLS.
  await env.tsql(ctx, `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'copy_rls_writer') THEN CREATE ROLE copy_rls_writer LOGIN; END IF; END $$;
    CREATE SCHEMA opendi AUTHORIZATION copy_rls_writer;
    CREATE TABLE t (id bigint PRIMARY KEY, v text); ${statementLog('t')}
    GRANT SELECT, INSERT, UPDATE, DELETE ON t, stmt_log TO copy_rls_writer; GRANT USAGE ON SEQUENCE stmt_log_n_seq TO copy_rls_writer;
    ALTER TABLE t ENABLE ROW LEVEL SECURITY;
    CREATE POLICY t_read ON t FOR SELECT USING (true);
    CREATE POLICY t_write ON t FOR INSERT WITH CHECK (id <= 1000)`);
  const spec = env.spec(ctx, 1, ['t']);
  spec.target.endpoint = { ...spec.target.endpoint, user: 'copy_rls_writer' };
  const { p } = await env.launch(spec);
  await env.sql(ctx.src, `INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 300) g`);
  await env.waitEqual(ctx, 't');
  assert.deepEqual(await writers(ctx, 't'), ['INSERT']);
  await p.stop();
});
