/**
 * PG -> PG throughput, measured side by side on the same workload (issue "Benchmarks"):
 *  (a) raw source read: pg_recvlogical draining the same change stream (pgoutput) to /dev/null;
 *  (b) raw sink write: the final rows written to the target with COPY into a stage table +
 *      INSERT .. SELECT .. ON CONFLICT (the fastest plain method);
 *  (c) peer: PostgreSQL's own logical replication (CREATE SUBSCRIPTION), enable -> caught up;
 *  OpenDI: StartDISyncInstance -> target equals source, through the service API.
 * Source and target are separate private PostgreSQL instances. Returns figures.
 */
import { startPostgres, type PgInstance } from '../test/harness/postgres.ts';
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { addPostgresDataSource, createDeployedTask, createWorkspace, instanceInfo, realtimeScript, taskCall, waitForStatus, waitUntil } from '../test/harness/realtime-scenario.ts';
import { keepWarm, changesOf, currentLsn, DEFAULT_WORKLOAD, PG_TABLE_DDL, perSec, pgRecvLogical, run, writePgWorkload, type Workload } from './common.ts';

export { DEFAULT_WORKLOAD, type Workload } from './common.ts';

async function q(pgi: PgInstance, db: string, sql: string, params?: unknown[]) {
  return pgi.query(sql, params, db);
}

async function digest(pgi: PgInstance, db: string): Promise<string> {
  const r = await q(pgi, db, `SELECT count(*) AS n, coalesce(sum(hashtext(t::text)::bigint), 0) AS h FROM bench t`);
  return `${r.rows[0].n}:${r.rows[0].h}`;
}

export interface PgBenchResult { changes: number; txns: number; rawReadPerSec: number; rawWritePerSec: number; peerPerSec: number; opendiPerSec: number }

export async function benchPgToPg(w: Workload = DEFAULT_WORKLOAD): Promise<PgBenchResult> {
  const src = await startPostgres();
  const dst = await startPostgres();
  const svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn' } });
  try {
    await src.createDatabase('s');
    for (const db of ['d_opendi', 'd_peer', 'd_raw']) await dst.createDatabase(db);
    await q(src, 's', PG_TABLE_DDL);
    for (const db of ['d_opendi', 'd_peer', 'd_raw']) await q(dst, db, PG_TABLE_DDL);
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

    const warm = keepWarm(() => instanceInfo(client, projectId, fileId));
    const txns = await writePgWorkload(src, 's', w);
    const changes = changesOf(w);
    const endLsn = await currentLsn(src, 's');
    const want = await digest(src, 's');

    // (a) raw read
    const rawReadPerSec = changes / await pgRecvLogical(src, 's', 'raw_read', 'bench_pub', endLsn);

    // (b) raw write of the final rows
    const rows = (await q(src, 's', `SELECT count(*)::int AS n FROM bench`)).rows[0].n as number;
    let t0 = performance.now();
    await run('bash', ['-c', `psql -h ${src.host} -p ${src.port} -U postgres -d s -qAtc "COPY bench TO STDOUT" | psql -h ${dst.host} -p ${dst.port} -U postgres -d d_raw -qc "CREATE TEMP TABLE stage (LIKE bench); COPY stage FROM STDIN; INSERT INTO bench SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET k = EXCLUDED.k, v = EXCLUDED.v, n = EXCLUDED.n, ts = EXCLUDED.ts"`]);
    const rawWritePerSec = perSec(rows, t0);

    // (c) peer: native logical replication
    t0 = performance.now();
    await q(dst, 'd_peer', `CREATE SUBSCRIPTION peer CONNECTION 'host=${src.host} port=${src.port} user=postgres dbname=s' PUBLICATION bench_pub
      WITH (create_slot = false, slot_name = 'peer_sub', copy_data = false)`);
    await waitUntil(async () => (await digest(dst, 'd_peer')) === want || undefined, 600_000, 'peer to catch up');
    const peerPerSec = perSec(changes, t0);
    await q(dst, 'd_peer', `ALTER SUBSCRIPTION peer DISABLE`);
    await q(dst, 'd_peer', `ALTER SUBSCRIPTION peer SET (slot_name = NONE)`);
    await q(dst, 'd_peer', `DROP SUBSCRIPTION peer`);

    // OpenDI end to end
    warm();
    t0 = performance.now();
    await taskCall(client, 'StartDISyncInstance', projectId, fileId);
    await waitUntil(async () => (await digest(dst, 'd_opendi')) === want || undefined, 600_000, 'OpenDI to catch up');
    const opendiPerSec = perSec(changes, t0);
    await taskCall(client, 'StopDISyncInstance', projectId, fileId);
    return { changes, txns, rawReadPerSec, rawWritePerSec, peerPerSec, opendiPerSec };
  } finally {
    await svc.destroy();
    await src.destroy();
    await dst.destroy();
  }
}
