/**
 * PG -> PG throughput, measured side by side on the same workload (issue "Benchmarks"):
 *  (a) raw source read: pg_recvlogical draining the same change stream (pgoutput) to /dev/null;
 *  (b) raw sink write: the final rows written to the target with COPY into a stage table +
 *      INSERT .. SELECT .. ON CONFLICT (the fastest plain method);
 *  (c) peer: PostgreSQL's own logical replication (CREATE SUBSCRIPTION), enable -> caught up;
 *  OpenDI: StartDISyncInstance -> target equals source, through the service API.
 * (c) and OpenDI end the same way (common.ts waitForDigest): when the last change is first seen,
 * confirmed by the row digest.
 * Source and target are separate private PostgreSQL instances. Returns figures.
 */
import { startPostgres, type PgInstance } from '../test/harness/postgres.ts';
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { instanceInfo } from '../test/harness/realtime-scenario.ts';
import {
  keepWarm, changesOf, cpuMeter, currentLsn, DEFAULT_WORKLOAD, digestOf, PG_TABLE_DDL, perSec, pgRecvLogical, pgSubscriptionPeer, pinnedTasks, run, runLanes,
  BENCH_LANES, writePgWorkload, type CpuUse, type LaneRun, type Side, type Workload,
} from './common.ts';

export { DEFAULT_WORKLOAD, type Workload } from './common.ts';

async function q(pgi: PgInstance, db: string, sql: string, params?: unknown[]) {
  return pgi.query(sql, params, db);
}

export interface PgBenchResult {
  changes: number; txns: number; rawReadPerSec: number; rawWritePerSec: number; peerPerSec: number;
  /** The first lane count's run (lanes[0], 1 by default). */
  opendiPerSec: number;
  opendiCpu: CpuUse; peerCpu?: CpuUse;
  lanes: LaneRun[];
}

export async function benchPgToPg(w: Workload = DEFAULT_WORKLOAD, lanes = BENCH_LANES, log: (m: string) => void = () => undefined): Promise<PgBenchResult> {
  const src = await startPostgres();
  const dst = await startPostgres();
  const svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn' } });
  try {
    await src.createDatabase('s');
    const laneDbs = lanes.map((l) => `d_l${l}`);
    for (const db of [...laneDbs, 'd_peer', 'd_raw']) await dst.createDatabase(db);
    await q(src, 's', PG_TABLE_DDL);
    for (const db of [...laneDbs, 'd_peer', 'd_raw']) await q(dst, db, PG_TABLE_DDL);
    await q(src, 's', `CREATE PUBLICATION bench_pub FOR TABLE bench`);
    // Slots first, so that each consumer sees the whole workload as a backlog.
    await q(src, 's', `SELECT pg_create_logical_replication_slot('raw_read', 'pgoutput')`);
    await q(src, 's', `SELECT pg_create_logical_replication_slot('peer_sub', 'pgoutput')`);
    const target = (db: string): Side => ({ kind: 'pg', inst: dst, db });
    const srcSide: Side = { kind: 'pg', inst: src, db: 's' };
    const tasks = await pinnedTasks(svc, srcSide, laneDbs.map(target), lanes);

    const warm = keepWarm(() => Promise.all(tasks.map((t) => instanceInfo(t.client, t.projectId, t.fileId))));
    const txns = await writePgWorkload(src, 's', w);
    const changes = changesOf(w);
    const endLsn = await currentLsn(src, 's');
    const want = await digestOf({ kind: 'pg', inst: src, db: 's' });

    // (a) raw read
    const rawReadPerSec = changes / await pgRecvLogical(src, 's', 'raw_read', 'bench_pub', endLsn);

    // (b) raw write of the final rows
    const rows = (await q(src, 's', `SELECT count(*)::int AS n FROM bench`)).rows[0].n as number;
    const t0 = performance.now();
    await run('bash', ['-c', `psql -h ${src.host} -p ${src.port} -U postgres -d s -qAtc "COPY bench TO STDOUT" | psql -h ${dst.host} -p ${dst.port} -U postgres -d d_raw -qc "CREATE TEMP TABLE stage (LIKE bench); COPY stage FROM STDIN; INSERT INTO bench SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET k = EXCLUDED.k, v = EXCLUDED.v, n = EXCLUDED.n, ts = EXCLUDED.ts"`]);
    const rawWritePerSec = perSec(rows, t0);

    // (c) peer: native logical replication
    const meter = cpuMeter(srcSide, target('d_peer'));
    let peerCpu: CpuUse | undefined;
    const peerPerSec = changes / await pgSubscriptionPeer(src, 's', 'peer_sub', 'bench_pub', target('d_peer'), w, want, () => { peerCpu = meter(); });

    // OpenDI end to end, each lane count in turn
    warm();
    const runs = await runLanes(tasks, laneDbs.map(target), lanes, srcSide, w, want, 'pg-pg', svc.pid, log);
    return { changes, txns, rawReadPerSec, rawWritePerSec, peerPerSec, opendiPerSec: runs[0].opendiPerSec, opendiCpu: runs[0].cpu, peerCpu, lanes: runs };
  } finally {
    await svc.destroy();
    await src.destroy();
    await dst.destroy();
  }
}
