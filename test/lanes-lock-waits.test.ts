/**
 * Lanes never wait for each other's locks (docs/target-checkpoint.md "Lanes"). A lane keeps its
 * transaction open until the task commits, so a lane statement waiting on a sibling's lock waits
 * for a commit that cannot come: the database sees no deadlock (half of the wait is in the
 * service), and it ends at InnoDB's 50 s lock-wait bound, or never on PostgreSQL.
 * - MariaDB: a multi-row DELETE that removes a fifth or more of a table made the optimizer scan the
 *   whole table, and a DELETE under READ COMMITTED waits on every locked row it reads, matching or
 *   not. Here both lanes hold row locks while they delete a large part of a 1,000-row and of a
 *   10-row table.
 * - Both targets: a unique index besides the primary key ties rows of different keys together; a
 *   value that moves from a row in one lane to a row in another failed on the index (a dirty
 *   record) or waited on the first lane's open transaction. Such tables now go whole to one lane.
 * - PostgreSQL with a writer that is no superuser (foreign keys enforced): a parent and its
 *   children, with 1 lane and with 2: folded table by table, a child could arrive before its
 *   parent (a dirty record); split over lanes, a delete could wait on the other lane's children.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { createLogger } from '../src/logger.ts';
import { openSink } from '../src/engine/ports.ts';
import type { ChangeSink } from '../src/engine/change-sink.ts';
import type { RelationInfo, RowChange } from '../src/engine/change-event.ts';
import type { TableSchema } from '../src/engine/table-schema.ts';
import { ID_VALUE_SCHEMA, idValueRelation } from './harness/id-value-table.ts';
import { laneOfKey } from '../src/engine/sinks/lane-routing.ts';

let mdb: MariaDbInstance;
let dst: PgInstance;
const logger = createLogger('silent');

before(async () => { [mdb, dst] = await Promise.all([startMariaDb(), startPostgres()]); });
after(async () => { await Promise.allSettled([mdb?.destroy(), dst?.destroy()]); });

const schema = ID_VALUE_SCHEMA;
const relation = idValueRelation;
const update = (r: RelationInfo, id: number, v: string): RowChange => ({ op: 'update', relation: r, values: [String(id), v] });
const insert = (r: RelationInfo, id: number, v: string): RowChange => ({ op: 'insert', relation: r, values: [String(id), v] });
const remove = (r: RelationInfo, id: number): RowChange => ({ op: 'delete', relation: r, oldKey: [String(id), null] });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Rejects when `work` has not settled after `ms` (the lanes stall until the 50 s lock-wait bound). */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms (a lane waits on another lane's lock)`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

test('2 lanes on MariaDB: deleting a large part of a table while the other lane holds row locks does not stall', async () => {
  await mdb.createDatabase('llock');
  let sink: ChangeSink | undefined;
  try {
    sink = openSink(1, { kind: 'mysql', endpoint: { host: mdb.host, port: mdb.port, database: 'llock', user: mdb.user, password: '' }, schema: 'llock', installationId: 'locks', lanes: 2 }, 'opendi-test', logger, 'postgresql');
    await sink.claim(1);
    const big = relation('big');
    const small = relation('small');
    for (const r of [big, small]) await sink.prepareTable(r, async () => schema);
    await sink.apply([...range(1, 1000).map((id) => insert(big, id, 'a')), ...range(1, 10).map((id) => insert(small, id, 'a'))]);
    await sink.commit('0/100');
    // Statistics as InnoDB keeps them for tables of this size: the optimizer's choice of plan rests on them.
    for (const t of ['big', 'small']) await mdb.query(`ANALYZE TABLE ${t}`, [], 'llock');

    // Both lanes hold row locks (updates of keys spread over both), then each deletes half of its share of the table.
    await sink.apply([...range(1, 20).map((id) => insert(big, id, 'b')), ...range(1, 2).map((id) => insert(small, id, 'b'))]);
    await within(sink.apply([...range(101, 600).map((id) => remove(big, id)), ...range(4, 8).map((id) => remove(small, id))]), 15_000, 'the deletes');
    await sink.commit('0/200');

    const rows = async (t: string) => (await mdb.query<{ id: number; v: string }[]>(`SELECT id, v FROM ${t} ORDER BY id`, [], 'llock')).map((r) => `${r.id}=${r.v}`);
    const expected = (ids: number[], changed: number) => ids.map((id) => `${id}=${id <= changed ? 'b' : 'a'}`);
    assert.deepEqual(await rows('big'), expected([...range(1, 100), ...range(601, 1000)], 20));
    assert.deepEqual(await rows('small'), expected([1, 2, 3, 9, 10], 2));
  } finally {
    await sink?.destroy();
  }
});

test('2 lanes, PostgreSQL and MariaDB: a unique value that moves between rows of different lanes applies in source order', async () => {
  await dst.createDatabase('luniq');
  await mdb.createDatabase('luniq');
  const targets = [
    {
      name: 'PostgreSQL', kind: 'postgresql' as const, schema: 'public',
      endpoint: { host: dst.host, port: dst.port, database: 'luniq', user: dst.user },
      create: () => dst.query(`CREATE TABLE public.u (id integer PRIMARY KEY, v text UNIQUE)`, [], 'luniq'),
      rows: async () => (await dst.query(`SELECT id || '=' || v AS r FROM public.u ORDER BY id`, [], 'luniq')).rows.map((r) => r.r as string),
    },
    {
      name: 'MariaDB', kind: 'mysql' as const, schema: 'luniq',
      endpoint: { host: mdb.host, port: mdb.port, database: 'luniq', user: mdb.user, password: '' },
      create: () => mdb.query(`CREATE TABLE u (id INT PRIMARY KEY, v VARCHAR(32), UNIQUE KEY (v))`, [], 'luniq'),
      rows: async () => (await mdb.query<{ r: string }[]>(`SELECT CONCAT(id, '=', v) AS r FROM u ORDER BY id`, [], 'luniq')).map((r) => r.r),
    },
  ];
  const u = relation('u');
  // Rows 1 and b are in different lanes when routed by key.
  const b = [2, 3, 4, 5, 6, 7, 8].find((id) => laneOfKey(u, [String(id), null], 2) !== laneOfKey(u, ['1', null], 2))!;
  for (const t of targets) {
    await t.create();
    let sink: ChangeSink | undefined;
    try {
      sink = openSink(1, { kind: t.kind, endpoint: t.endpoint, schema: t.schema, installationId: 'uniq', lanes: 2 }, 'opendi-test', logger, 'postgresql');
      await sink.claim(1);
      const r = relation('u');
      await sink.prepareTable(r, async () => schema);
      await sink.apply(range(1, 8).map((id) => insert(r, id, `v${id}`)));
      await sink.commit('0/100');
      // One source transaction: row 1 is deleted and row b takes its value.
      await within(sink.apply([remove(r, 1), update(r, b, 'v1')]), 15_000, `${t.name}: the move`);
      await sink.commit('0/200');
      const expected = range(2, 8).map((id) => `${id}=${id === b ? 'v1' : `v${id}`}`);
      assert.deepEqual(await t.rows(), expected, t.name);
      assert.deepEqual(sink.dirtyRecords().kept, 0, `${t.name}: no row set aside`);
    } finally {
      await sink?.destroy();
    }
  }
});

test('PostgreSQL, a writer that is no superuser: tables tied by a foreign key apply in source order, with 1 lane and with 2', async () => {
  await dst.createDatabase('lfk');
  await dst.query(`CREATE ROLE fk_writer LOGIN; GRANT CREATE ON DATABASE lfk TO fk_writer`, [], 'lfk');
  await dst.query(`CREATE TABLE public.parent (id integer PRIMARY KEY, v text);
    CREATE TABLE public.child (id integer PRIMARY KEY, v text, parent_id integer NOT NULL REFERENCES public.parent (id));
    GRANT SELECT, INSERT, UPDATE, DELETE ON public.parent, public.child TO fk_writer;`, [], 'lfk');
  const schemaWithParent: TableSchema = { ...schema, columns: [...schema.columns, { ...schema.columns[0], name: 'parent_id', isKey: false }] };
  for (const lanes of [1, 2]) {
    await dst.query(`DELETE FROM public.child; DELETE FROM public.parent`, [], 'lfk');
    let sink: ChangeSink | undefined;
    try {
      sink = openSink(10 + lanes, { kind: 'postgresql', endpoint: { host: dst.host, port: dst.port, database: 'lfk', user: 'fk_writer' }, schema: 'public', installationId: 'fk', lanes }, 'opendi-test', logger, 'postgresql');
      await sink.claim(1);
      const parent = relation('parent');
      const child: RelationInfo = { ...relation('child'), columns: [{ name: 'id', isKey: true }, { name: 'v', isKey: false }, { name: 'parent_id', isKey: false }] };
      await sink.prepareTable(parent, async () => schema);
      await sink.prepareTable(child, async () => schemaWithParent);
      const kid = (id: number, of: number, v = 'c'): RowChange => ({ op: 'insert', relation: child, values: [String(id), v, String(of)] });
      await sink.apply([insert(parent, 1, 'p'), kid(10, 1)]);
      await sink.commit('0/100');
      // The child table comes first in the batch: folded table by table, child 20 would arrive before parent 2,
      // and parent 1's delete before its child's.
      const batch: RowChange[] = [
        { op: 'update', relation: child, values: ['10', 'changed', '1'] }, insert(parent, 2, 'p'), kid(20, 2),
        { op: 'delete', relation: child, oldKey: ['10', null, null] }, remove(parent, 1),
      ];
      await within(sink.apply(batch), 15_000, `${lanes} lane(s): the batch`);
      await sink.commit('0/200');
      assert.equal(sink.dirtyRecords().kept, 0, `${lanes} lane(s): no row set aside`);
      const rows = async (sql: string) => (await dst.query(sql, [], 'lfk')).rows.map((r) => r.r as string);
      assert.deepEqual(await rows(`SELECT id || '=' || v AS r FROM public.parent ORDER BY id`), ['2=p'], `${lanes} lane(s)`);
      assert.deepEqual(await rows(`SELECT id || '=' || parent_id AS r FROM public.child ORDER BY id`), ['20=2'], `${lanes} lane(s)`);
    } finally {
      await sink?.destroy();
    }
  }
});
