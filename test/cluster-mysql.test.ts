/**
 * The MySQL paths under a cluster (README "Running several nodes"): a MariaDB -> MariaDB task with
 * 2 lanes on two nodes sharing a PostgreSQL catalog, under a continuous writer. kill -9 of its
 * owner: the other node takes it over and resumes from the target's checkpoint rows (one per
 * lane), and afterwards the target equals the source, no row was applied twice (an audit trigger
 * logs every row image the target receives) and the target's fence is the catalog's last.
 * The PostgreSQL paths have the same scenarios in cluster.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { OpenDICluster } from './harness/opendi-cluster.ts';
import { addMySqlDataSource, createDeployedTask, createWorkspace, instanceInfo, realtimeScript, taskCall, waitUntil } from './harness/realtime-scenario.ts';

let catalog: PgInstance;
let src: MariaDbInstance;
let dst: MariaDbInstance;
let cluster: OpenDICluster;
let writer: { stop(): Promise<number> } | undefined;

before(async () => {
  [catalog, src, dst] = await Promise.all([startPostgres(), startMariaDb(), startMariaDb()]);
  cluster = await OpenDICluster.start(catalog, 2);
});
after(async () => { await writer?.stop(); await cluster?.destroy(); await Promise.all([catalog?.destroy(), src?.destroy(), dst?.destroy()]); });

/** Inserts 10 rows per transaction into `ms`.`t` on one connection, ids from 1, until stopped; resolves to the rows committed. */
function startWriter(): { stop(): Promise<number> } {
  let running = true;
  let committed = 0;
  const done = (async () => {
    const c = await mysql.createConnection(src.connectionConfig('ms'));
    // A dropped connection fails the next insert (and so stop()); without a listener it would crash the test process.
    c.on('error', () => undefined);
    try {
      for (let id = 1; running; id += 10) {
        await c.query(`INSERT INTO t (id, payload) SELECT seq, MD5(seq) FROM seq_${id}_to_${id + 9}`);
        committed += 10;
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      await c.end().catch(() => c.destroy());
    }
  })();
  return { stop: async () => { running = false; await done; return committed; } };
}

/** Row count and a checksum of `t`, the same on both sides when their rows are the same. */
async function digest(m: MariaDbInstance, db: string): Promise<{ n: number; text: string }> {
  const [r] = await m.query<{ n: string; s: string | null }[]>(`SELECT COUNT(*) AS n, CAST(SUM(CRC32(CONCAT(id, ':', payload))) AS CHAR) AS s FROM t`, [], db);
  return { n: Number(r.n), text: `${r.n}:${r.s}` };
}

test('kill -9 of the owner of a MariaDB -> MariaDB task with 2 lanes: the other node resumes it, nothing lost or applied twice', async () => {
  await src.createDatabase('ms');
  await src.query(`CREATE TABLE t (id BIGINT PRIMARY KEY, payload VARCHAR(64))`, [], 'ms');
  await dst.createDatabase('md');
  await dst.query(`CREATE TABLE t (id BIGINT PRIMARY KEY, payload VARCHAR(64))`, [], 'md');
  await dst.query(`CREATE TABLE audit (n BIGINT AUTO_INCREMENT PRIMARY KEY, id BIGINT NOT NULL)`, [], 'md');
  // ON DUPLICATE KEY UPDATE of a row already there fires the update trigger: a replayed row shows up.
  await dst.query(`CREATE TRIGGER t_ins AFTER INSERT ON t FOR EACH ROW INSERT INTO audit (id) VALUES (NEW.id)`, [], 'md');
  await dst.query(`CREATE TRIGGER t_upd AFTER UPDATE ON t FOR EACH ROW INSERT INTO audit (id) VALUES (NEW.id)`, [], 'md');

  const client = cluster.other().client();
  const projectId = await createWorkspace(client, 'ws_my');
  await addMySqlDataSource(client, projectId, 'my_src', src, 'ms');
  await addMySqlDataSource(client, projectId, 'my_dst', dst, 'md');
  const fileId = await createDeployedTask(client, projectId, 'my_task',
    realtimeScript('my_src', 'my_dst', ['ms.t'], { reader: 'mysql', writer: 'mysql', setting: { speed: { concurrent: 2 } } }));
  assert.equal((await taskCall(client, 'StartDISyncInstance', projectId, fileId)).Data.Status, 'success');
  await waitUntil(async () => (await instanceInfo(client, projectId, fileId)).Status === 'RUN' || undefined, 60_000, 'the task to run');

  writer = startWriter();
  await waitUntil(async () => (await digest(dst, 'md')).n >= 300 || undefined, 30_000, 'rows at the target');
  const owner = (await cluster.ownerOf(fileId))!;
  assert.ok(owner.node, 'the task has an owner');
  const killedAt = Date.now();
  await cluster.node(owner.node).kill();
  cluster.nodes.delete(owner.node);
  const survivor = cluster.other();
  await waitUntil(async () => {
    const o = await cluster.ownerOf(fileId);
    return (o && o.live && o.node !== owner.node && (await instanceInfo(survivor.client(), projectId, fileId)).Status === 'RUN') || undefined;
  }, 60_000, 'the other node to take the task over');
  console.log(`# MariaDB task taken over after kill -9 of ${owner.node}: ${Date.now() - killedAt} ms`);
  await new Promise((r) => setTimeout(r, 1_000)); // the writer goes on under the new owner
  const written = await writer.stop();
  writer = undefined;

  const want = await digest(src, 'ms');
  assert.equal(want.n, written);
  await waitUntil(async () => (await digest(dst, 'md')).text === want.text || undefined, 60_000, `the target to equal the source (${want.text})`);
  const [audit] = await dst.query<{ n: number; ids: number }[]>(`SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids FROM audit`, [], 'md');
  assert.deepEqual({ n: Number(audit.n), ids: Number(audit.ids) }, { n: written, ids: written }, 'every source row applied exactly once');
  const fences = await waitUntil(async () => {
    const catalogFence = (await cluster.ownerOf(fileId))?.fence;
    const [row] = await dst.query<{ fence: number }[]>(`SELECT fence FROM opendi_sync_checkpoint WHERE task_id = ?`, [fileId], 'md');
    return (row && Number(row.fence) === catalogFence) ? { catalogFence, target: Number(row.fence) } : undefined;
  }, 30_000, 'the target fence to become the last one the catalog issued');
  assert.ok(fences.target > owner.fence, `the new owner's fence (${fences.target}) is above the killed owner's (${owner.fence})`);
  assert.notEqual((await instanceInfo(survivor.client(), projectId, fileId)).Status, 'FAILED');
});
