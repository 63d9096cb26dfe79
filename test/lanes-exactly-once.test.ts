/**
 * Parallel apply (4 lanes, docs/target-checkpoint.md "Lanes") stays exactly-once, into a
 * PostgreSQL and a MariaDB target at once, from one PostgreSQL source written by inserts and
 * updates (several keys per transaction, so one transaction spans lanes): kill -9 of the service
 * and SIGKILL + restart of both targets mid-stream, then the targets equal the source and no
 * (row, version) was applied twice (audit triggers). At the sink level: a stale owner's lanes
 * commit nothing (fence), and after a crash that left the lanes at different positions, the lane
 * ahead discards the replayed transaction it had committed while the other applies it; a TRUNCATE
 * transaction runs on one lane; changing the number of lanes resumes from the lowest lane.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { OpenDIService } from './harness/opendi-service.ts';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import {
  addMySqlDataSource, addPostgresDataSource, createDeployedTask, createWorkspace, instanceInfo, realtimeScript, taskCall,
  tableRows, waitForStatus, waitUntil, withDb,
} from './harness/realtime-scenario.ts';
import { createLogger } from '../src/logger.ts';
import { openSink } from '../src/engine/ports.ts';
import type { ChangeSink } from '../src/engine/change-sink.ts';
import type { RelationInfo, RowChange } from '../src/engine/change-event.ts';
import { ID_VALUE_SCHEMA, idValueRelation } from './harness/id-value-table.ts';
import type { DbEndpoint } from '../src/engine/endpoint.ts';
import { FencedError } from '../src/engine/errors.ts';
import { laneOfKey } from '../src/engine/sinks/lane-routing.ts';

let src: PgInstance;
let dst: PgInstance;
let mdb: MariaDbInstance;
let svc: OpenDIService | undefined;
const logger = createLogger('silent');

before(async () => {
  [src, dst, mdb] = await Promise.all([startPostgres(), startPostgres(), startMariaDb()]);
});
after(async () => { await svc?.destroy(); await Promise.allSettled([src?.destroy(), dst?.destroy(), mdb?.destroy()]); });

/** Inserts 10 rows and bumps the version of 10 random earlier rows per transaction, until stopped. */
class VersionWriter {
  private running = true;
  private next = 1;
  private readonly done: Promise<void>;
  constructor(database: string) { this.done = this.loop(database); }
  private async loop(database: string): Promise<void> {
    const c = new pg.Client({ ...src.connectionConfig(), database });
    await c.connect();
    try {
      while (this.running) {
        await c.query('BEGIN');
        await c.query(`INSERT INTO events (id, n, payload) SELECT g, 0, md5(g::text) FROM generate_series($1::bigint, $2::bigint) g`, [this.next, this.next + 9]);
        if (this.next > 10) {
          const ids = Array.from({ length: 10 }, () => 1 + Math.floor(Math.random() * (this.next - 1)));
          await c.query(`UPDATE events SET n = n + 1 WHERE id = ANY($1::bigint[])`, [ids]);
        }
        await c.query('COMMIT');
        this.next += 10;
        await new Promise((r) => setTimeout(r, 3));
      }
    } finally { await c.end(); }
  }
  async stop(): Promise<number> { this.running = false; await this.done; return this.next - 1; }
}

const rowsOf = async (m: MariaDbInstance, db: string) => (await m.query<{ r: string }[]>(`SELECT CONCAT('(', id, ',', n, ',', payload, ')') AS r FROM events`, [], db)).map((r) => r.r).sort();

test('4 lanes, PostgreSQL and MariaDB targets: kill -9 of the service and restarts of the targets, exactly once', async () => {
  svc = await OpenDIService.start();
  const client = svc.client();
  await src.createDatabase('lsrc');
  await dst.createDatabase('ldst');
  await mdb.createDatabase('ldst');
  await withDb(src, 'lsrc', (c) => c.query(`CREATE TABLE events (id bigint PRIMARY KEY, n int NOT NULL, payload text)`));
  await withDb(dst, 'ldst', (c) => c.query(`CREATE TABLE events (id bigint PRIMARY KEY, n int NOT NULL, payload text);
    CREATE TABLE apply_log (id bigint, n int);
    CREATE FUNCTION log_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO apply_log VALUES (NEW.id, NEW.n); RETURN NEW; END $$;
    CREATE TRIGGER events_apply AFTER INSERT OR UPDATE ON events FOR EACH ROW EXECUTE FUNCTION log_apply();
    ALTER TABLE events ENABLE ALWAYS TRIGGER events_apply;`));
  for (const sql of [
    `CREATE TABLE events (id BIGINT PRIMARY KEY, n INT NOT NULL, payload TEXT)`,
    `CREATE TABLE apply_log (id BIGINT, n INT)`,
    `CREATE TRIGGER events_ins AFTER INSERT ON events FOR EACH ROW INSERT INTO apply_log VALUES (NEW.id, NEW.n)`,
    `CREATE TRIGGER events_upd AFTER UPDATE ON events FOR EACH ROW INSERT INTO apply_log VALUES (NEW.id, NEW.n)`,
  ]) await mdb.query(sql, [], 'ldst');

  const projectId = await createWorkspace(client, 'ws_lanes');
  await addPostgresDataSource(client, projectId, 'lsrc', src, 'lsrc');
  await addPostgresDataSource(client, projectId, 'ldst_pg', dst, 'ldst');
  await addMySqlDataSource(client, projectId, 'ldst_my', mdb, 'ldst');
  const setting = { speed: { concurrent: 4 } };
  const toPg = await createDeployedTask(client, projectId, 'lanes_pg', realtimeScript('lsrc', 'ldst_pg', ['public.events'], { setting }));
  const toMy = await createDeployedTask(client, projectId, 'lanes_my', realtimeScript('lsrc', 'ldst_my', ['public.events'], { setting, writer: 'mysql' }));
  for (const id of [toPg, toMy]) await taskCall(client, 'StartDISyncInstance', projectId, id);
  for (const id of [toPg, toMy]) await waitForStatus(client, projectId, id, ['RUN']);

  const writer = new VersionWriter('lsrc');
  const applied = async (floor: number) => {
    await waitUntil(async () => withDb(dst, 'ldst', async (c) => Number((await c.query('SELECT count(*) AS n FROM events')).rows[0].n) > floor || undefined), 30_000, 'rows in the PostgreSQL target');
    await waitUntil(async () => Number((await mdb.query<{ n: string }[]>('SELECT COUNT(*) AS n FROM events', [], 'ldst'))[0].n) > floor || undefined, 30_000, 'rows in the MariaDB target');
  };
  await applied(500);
  await svc.kill();
  await new Promise((r) => setTimeout(r, 300));
  await svc.restart();
  for (const id of [toPg, toMy]) await waitForStatus(svc.client(), projectId, id, ['RUN']);
  await applied(1500);
  await Promise.all([dst.kill(), mdb.kill()]);
  await new Promise((r) => setTimeout(r, 500));
  await Promise.all([dst.start(), mdb.start()]);
  await applied(3000);
  const written = await writer.stop();

  const expected = (await tableRows(src, 'lsrc', 'events')).sort();
  assert.equal(expected.length, written);
  let seen = {};
  try {
    await waitUntil(async () => {
      const [a, b] = await Promise.all([tableRows(dst, 'ldst', 'events').then((r) => r.sort()), rowsOf(mdb, 'ldst')]);
      const firstDiff = b.findIndex((r, i) => r !== expected[i]);
      seen = { pg: a.filter((r, i) => r === expected[i]).length, my: b.filter((r, i) => r === expected[i]).length, myRows: b.length, myDiff: `${b[firstDiff]} vs ${expected[firstDiff]}` } as never;
      return a.join() === expected.join() && b.join() === expected.join() || undefined;
    }, 60_000, 'both targets to equal the source');
  } catch (err) {
    const info = await Promise.all([toPg, toMy].map((id) => instanceInfo(svc!.client(), projectId, id)));
    throw new Error(`${(err as Error).message}: ${JSON.stringify(seen)} of ${expected.length} rows equal; ${JSON.stringify(info)}\n${svc!.log.slice(-4000)}`);
  }
  const twicePg = await withDb(dst, 'ldst', async (c) => (await c.query(`SELECT id, n FROM apply_log GROUP BY id, n HAVING count(*) > 1`)).rows);
  assert.deepEqual(twicePg, [], 'no row version applied twice (PostgreSQL)');
  const twiceMy = await mdb.query(`SELECT id, n FROM apply_log GROUP BY id, n HAVING COUNT(*) > 1`, [], 'ldst');
  assert.deepEqual(twiceMy, [], 'no row version applied twice (MariaDB)');
  // The tasks did run with 4 lanes: lanes 1..3 have their own checkpoint rows at each target.
  assert.equal(Number((await dst.query(`SELECT count(*) AS n FROM opendi.sync_lane`, [], 'ldst')).rows[0].n), 3);
  assert.equal(Number((await mdb.query<{ n: string }[]>(`SELECT COUNT(*) AS n FROM opendi_sync_lane`, [], 'ldst'))[0].n), 3);
  for (const id of [toPg, toMy]) await taskCall(svc.client(), 'StopDISyncInstance', projectId, id);
});

const schema = ID_VALUE_SCHEMA;
const relation = () => idValueRelation('t');
const upsert = (r: RelationInfo, id: number, v: string): RowChange => ({ op: 'insert', relation: r, values: [String(id), v] });

interface SinkTarget {
  name: string; endpoint: () => DbEndpoint; schema: string; rows: () => Promise<string[]>;
  setLane: (lane: number, position: string) => Promise<void>; lanes: () => Promise<string[]>;
}

const targets = (): SinkTarget[] => [
  {
    name: 'PostgreSQL', schema: 'public',
    endpoint: () => ({ host: dst.host, port: dst.port, database: 'lsink', user: dst.user }),
    rows: async () => (await dst.query(`SELECT id || '=' || v AS r FROM public.t ORDER BY id`, [], 'lsink')).rows.map((r) => r.r),
    setLane: async (lane, p) => { await dst.query(`UPDATE opendi.sync_lane SET position = $1 WHERE lane = $2`, [p, lane], 'lsink'); },
    lanes: async () => (await dst.query(`SELECT lane || '@' || position AS r FROM opendi.sync_lane ORDER BY lane`, [], 'lsink')).rows.map((r) => r.r),
  },
  {
    name: 'MariaDB', schema: 'lsink',
    endpoint: () => ({ host: mdb.host, port: mdb.port, database: 'lsink', user: mdb.user, password: '' }),
    rows: async () => (await mdb.query<{ r: string }[]>(`SELECT CONCAT(id, '=', v) AS r FROM t ORDER BY id`, [], 'lsink')).map((r) => r.r),
    setLane: async (lane, p) => { await mdb.query(`UPDATE opendi_sync_lane SET position = ? WHERE lane = ?`, [p, lane], 'lsink'); },
    lanes: async () => (await mdb.query<{ r: string }[]>(`SELECT CONCAT(lane, '@', position) AS r FROM opendi_sync_lane ORDER BY lane`, [], 'lsink')).map((r) => r.r),
  },
];

test('lanes at the sink: a stale owner commits nothing in any lane; a lane ahead skips what it had applied', async () => {
  await dst.createDatabase('lsink');
  await mdb.createDatabase('lsink');
  for (const t of targets()) {
    const open: ChangeSink[] = [];
    const sink = (lanes = 4) => {
      const s = openSink(9, { kind: t.name === 'PostgreSQL' ? 'postgresql' : 'mysql', endpoint: t.endpoint(), schema: t.schema, installationId: 'lanes', lanes }, 'opendi-test', logger, 'postgresql');
      open.push(s);
      return s;
    };
    try {
      const a = sink();
      await a.claim(1);
      const r = relation();
      await a.prepareTable(r, async () => schema);
      await a.apply([1, 2, 3, 4, 5, 6, 7, 8].map((id) => upsert(r, id, 'a')));
      await a.commit('0/100');
      assert.deepEqual(await t.rows(), [1, 2, 3, 4, 5, 6, 7, 8].map((id) => `${id}=a`), t.name);

      // A zombie: rows in every lane, then a newer owner claims; none of the zombie's lanes commits.
      await a.apply([1, 2, 3, 4, 5, 6, 7, 8].map((id) => upsert(r, id, 'zombie')));
      const b = sink();
      assert.equal((await b.claim(2)).position, '0/100');
      await assert.rejects(a.commit('0/200'), FencedError, t.name);
      assert.deepEqual(await t.rows(), [1, 2, 3, 4, 5, 6, 7, 8].map((id) => `${id}=a`), `${t.name}: nothing of the stale owner`);
      await a.destroy();

      // A crash during the lanes' commit left the lane of key 1 at 0/300 and the others at 0/200.
      const rb = relation();
      await b.prepareTable(rb, async () => schema);
      await b.commit('0/200');
      const ahead = laneOfKey(rb, ['1', null], 4);
      const other = [2, 3, 4, 5, 6, 7, 8, 9, 10].find((id) => laneOfKey(rb, [String(id), null], 4) !== ahead)!;
      await b.close();
      await t.setLane(ahead === 0 ? 1 : ahead, '0/300'); // lane 0's position is the task row's
      if (ahead === 0) throw new Error('pick a key outside lane 0 for this case');
      const c = sink();
      assert.equal((await c.claim(3)).position, '0/200', `${t.name}: resumes from the lowest lane`);
      const rc = relation();
      await c.prepareTable(rc, async () => schema);
      const lanes = c.lanesControl!;
      assert.ok(lanes.catchingUp());
      // The replay of the transaction at 0/300: key 1's lane had committed it (we pretend so: its row still says
      // 1=a, so a re-apply would show), the other lane had not.
      await c.apply([upsert(rc, 1, 'replayed'), upsert(rc, other, 'replayed')]);
      await lanes.transactionEnd('0/300');
      assert.ok(!lanes.catchingUp());
      await c.commit('0/300');
      let rows = await t.rows();
      assert.ok(rows.includes('1=a') && rows.includes(`${other}=replayed`), `${t.name}: the lane ahead skipped, the other applied: ${rows}`);
      await c.apply([upsert(rc, 1, 'after')]);
      await c.commit('0/400');
      rows = await t.rows();
      assert.ok(rows.includes('1=after'), `${t.name}: caught up, the lane applies again: ${rows}`);
      // A source transaction with a TRUNCATE runs whole on lane 0 (after the pipeline's barrier).
      await assert.rejects(c.truncate([rc]), /serialize/, 'never on its own in a lane');
      lanes.serialize();
      assert.ok((await c.truncate([rc])).length > 0);
      await c.apply([upsert(rc, 7, 'after-truncate'), upsert(rc, 8, 'after-truncate')]);
      await c.commit('0/450');
      assert.ok(!lanes.serial);
      assert.deepEqual(await t.rows(), ['7=after-truncate', '8=after-truncate'], `${t.name}: truncate and the rows after it, in order`);
      await c.apply([upsert(rc, 1, 'x')]);
      await c.rollback();
      await c.close();

      // Fewer lanes after a crash that left them apart: resume from the lowest of all, the extra rows go.
      await t.setLane(3, '0/350');
      const two = sink(2);
      assert.equal((await two.claim(4)).position, '0/350', `${t.name}: the lowest, lane 3's included`);
      assert.deepEqual(await t.lanes(), ['1@0/350'], `${t.name}: lanes 2 and 3 dropped, lane 1 moved to the lowest`);
      await two.close();
      await t.setLane(1, '0/320');
      const one = sink(1);
      assert.equal((await one.claim(5)).position, '0/320', `${t.name}: one lane resumes from the lowest lane`);
      assert.deepEqual(await t.lanes(), [], `${t.name}: no lane rows left`);
      await one.close();
      assert.equal((await sink(1).claim(6)).position, '0/320', `${t.name}: the task row holds it now`);
    } finally {
      for (const s of open) await s.destroy().catch(() => undefined);
    }
  }
});
