/**
 * PG -> PG throughput, measured side by side on the same workload (issue "Benchmarks"):
 *  (a) raw source read: pg_recvlogical draining the same change stream (pgoutput) to /dev/null;
 *  (b) raw sink write: the final rows written to the target with COPY into a stage table +
 *      INSERT .. SELECT .. ON CONFLICT (the fastest plain method);
 *  (c) peer: PostgreSQL's own logical replication (CREATE SUBSCRIPTION), enable -> caught up;
 *  OpenDI: StartDISyncInstance -> target equals source, through the service API.
 * Source and target are separate private PostgreSQL instances. Prints a table, returns figures.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { startPostgres, type PgInstance } from '../test/harness/postgres.ts';
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { addPostgresDataSource, createDeployedTask, createWorkspace, realtimeScript, taskCall, waitForStatus, waitUntil } from '../test/harness/realtime-scenario.ts';

const run = promisify(execFile);

export interface Workload { inserts: number; updates: number; deletes: number; maxTxnRows: number }
export const DEFAULT_WORKLOAD: Workload = { inserts: 300_000, updates: 120_000, deletes: 80_000, maxTxnRows: 1000 };

const TABLE_DDL = `CREATE TABLE public.bench (id bigint PRIMARY KEY, k int NOT NULL, v text, n numeric(12,2), ts timestamptz)`;

async function q(pgi: PgInstance, db: string, sql: string, params?: unknown[]) {
  return pgi.query(sql, params, db);
}

/** Writes the workload in transactions of 1..maxTxnRows rows (deterministic sizes). */
async function writeWorkload(pgi: PgInstance, db: string, w: Workload): Promise<number> {
  const c = new pg.Client(pgi.connectionConfig(db));
  await c.connect();
  let txns = 0;
  const sizes = (total: number) => { const out: number[] = []; let left = total; let s = 7; while (left > 0) { s = (s * 7919 + 13) % w.maxTxnRows + 1; const n = Math.min(left, s); out.push(n); left -= n; } return out; };
  let id = 1;
  for (const n of sizes(w.inserts)) {
    await c.query(`INSERT INTO bench SELECT g, g % 1000, md5(g::text), g / 7.0, now() FROM generate_series($1::bigint, $2::bigint) g`, [id, id + n - 1]);
    id += n; txns++;
  }
  // Updates and deletes touch disjoint id ranges so every change is a real change.
  let uid = 1;
  for (const n of sizes(w.updates)) {
    await c.query(`UPDATE bench SET k = k + 1, v = v || 'u' WHERE id BETWEEN $1 AND $2`, [uid, uid + n - 1]);
    uid += n; txns++;
  }
  let did = w.inserts - w.deletes + 1;
  for (const n of sizes(w.deletes)) {
    await c.query(`DELETE FROM bench WHERE id BETWEEN $1 AND $2`, [did, did + n - 1]);
    did += n; txns++;
  }
  await c.end();
  return txns;
}

async function digest(pgi: PgInstance, db: string): Promise<string> {
  const r = await q(pgi, db, `SELECT count(*) AS n, coalesce(sum(hashtext(t::text)::bigint), 0) AS h FROM bench t`);
  return `${r.rows[0].n}:${r.rows[0].h}`;
}

async function currentLsn(pgi: PgInstance, db: string): Promise<string> {
  return (await q(pgi, db, `SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l;
}

export interface PgBenchResult { changes: number; txns: number; rawReadPerSec: number; rawWritePerSec: number; peerPerSec: number; opendiPerSec: number }

export async function benchPgToPg(w: Workload = DEFAULT_WORKLOAD): Promise<PgBenchResult> {
  const src = await startPostgres();
  const dst = await startPostgres();
  const svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn' } });
  try {
    await src.createDatabase('s');
    for (const db of ['d_opendi', 'd_peer', 'd_raw']) await dst.createDatabase(db);
    await q(src, 's', TABLE_DDL);
    for (const db of ['d_opendi', 'd_peer', 'd_raw']) await q(dst, db, TABLE_DDL);
    await q(src, 's', `CREATE PUBLICATION bench_pub FOR TABLE bench`);
    // Slots first, so that each consumer sees the whole workload as a backlog.
    await q(src, 's', `SELECT pg_create_logical_replication_slot('raw_read', 'pgoutput')`);
    await q(src, 's', `SELECT pg_create_logical_replication_slot('peer_sub', 'pgoutput')`);
    const client = svc.client();
    const projectId = await createWorkspace(client, 'bench_ws');
    await addPostgresDataSource(client, projectId, 'bsrc', src, 's');
    await addPostgresDataSource(client, projectId, 'bdst', dst, 'd_opendi');
    const fileId = await createDeployedTask(client, projectId, 'bench_task', realtimeScript('bsrc', 'bdst', ['public.bench']));
    await taskCall(client, 'StartDISyncInstance', projectId, fileId);
    await waitForStatus(client, projectId, fileId, ['RUN']);
    await taskCall(client, 'StopDISyncInstance', projectId, fileId);

    const txns = await writeWorkload(src, 's', w);
    const changes = w.inserts + w.updates + w.deletes;
    const endLsn = await currentLsn(src, 's');
    const want = await digest(src, 's');

    // (a) raw read
    let t0 = performance.now();
    await run('pg_recvlogical', ['-h', src.host, '-p', String(src.port), '-U', 'postgres', '-d', 's', '--slot', 'raw_read', '--start',
      '-o', 'proto_version=1', '-o', 'publication_names=bench_pub', '-E', endLsn, '-f', '/dev/null', '--no-loop']);
    const rawReadPerSec = changes / ((performance.now() - t0) / 1000);

    // (b) raw write of the final rows
    const rows = (await q(src, 's', `SELECT count(*)::int AS n FROM bench`)).rows[0].n as number;
    t0 = performance.now();
    await run('bash', ['-c', `psql -h ${src.host} -p ${src.port} -U postgres -d s -qAtc "COPY bench TO STDOUT" | psql -h ${dst.host} -p ${dst.port} -U postgres -d d_raw -qc "CREATE TEMP TABLE stage (LIKE bench); COPY stage FROM STDIN; INSERT INTO bench SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET k = EXCLUDED.k, v = EXCLUDED.v, n = EXCLUDED.n, ts = EXCLUDED.ts"`]);
    const rawWritePerSec = rows / ((performance.now() - t0) / 1000);

    // (c) peer: native logical replication
    t0 = performance.now();
    await q(dst, 'd_peer', `CREATE SUBSCRIPTION peer CONNECTION 'host=${src.host} port=${src.port} user=postgres dbname=s' PUBLICATION bench_pub
      WITH (create_slot = false, slot_name = 'peer_sub', copy_data = false)`);
    await waitUntil(async () => (await digest(dst, 'd_peer')) === want || undefined, 600_000, 'peer to catch up');
    const peerPerSec = changes / ((performance.now() - t0) / 1000);
    await q(dst, 'd_peer', `ALTER SUBSCRIPTION peer DISABLE`);
    await q(dst, 'd_peer', `ALTER SUBSCRIPTION peer SET (slot_name = NONE)`);
    await q(dst, 'd_peer', `DROP SUBSCRIPTION peer`);

    // OpenDI end to end
    t0 = performance.now();
    await taskCall(client, 'StartDISyncInstance', projectId, fileId);
    await waitUntil(async () => (await digest(dst, 'd_opendi')) === want || undefined, 600_000, 'OpenDI to catch up');
    const opendiPerSec = changes / ((performance.now() - t0) / 1000);
    await taskCall(client, 'StopDISyncInstance', projectId, fileId);
    return { changes, txns, rawReadPerSec, rawWritePerSec, peerPerSec, opendiPerSec };
  } finally {
    await svc.destroy();
    await src.destroy();
    await dst.destroy();
  }
}
