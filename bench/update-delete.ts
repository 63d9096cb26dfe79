/**
 * Updates and deletes only, against the native peers (issue 4: "at least the native peers' rate on
 * updates and deletes"), PG -> PG and MySQL -> MySQL, each on the same data in the same run:
 * `bench` is preloaded with the same rows (as many as the workload has changes, 1,500,000 by
 * default: common.ts updateDeleteWorkloadOf) on the source, the peer's target and each OpenDI
 * target (untimed, not replicated); the OpenDI task pins its source position and stops, the peer's slot / binlog
 * position is taken; then the change stream (two thirds updates of non-key columns, then one third
 * deletes, in transactions of 1..1,000 rows) is written to the source while nothing consumes it.
 * Timed over that same backlog:
 *  peer: PG -> PG CREATE SUBSCRIPTION from the pre-created slot -> target equals source;
 *        MySQL -> MySQL MariaDB replication, START SLAVE -> Exec_Master_Log_Pos at the stream's end;
 *  OpenDI: StartDISyncInstance -> target equals source, one task per lane count (BENCH_LANES,
 *  default 1,2,4), each into its own preloaded target database, in turn (common.ts runLanes).
 * Source and target are separate private instances. Returns figures.
 */
import { startPostgres, type PgInstance } from '../test/harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from '../test/harness/mariadb.ts';
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { instanceInfo } from '../test/harness/realtime-scenario.ts';
import {
  BENCH_LANES, changesOf, cpuMeter, digestOf, keepWarm, mariaDbReplicaPeer, masterStatus, MY_XTABLE_DDL, PG_XTABLE_DDL, pgSubscriptionPeer, pinnedTasks, runLanes,
  UPDATE_DELETE_WORKLOAD, writeMySqlWorkload, writePgWorkload, writePreload, type CpuUse, type LaneRun, type Side, type Workload,
} from './common.ts';

export type UdDirection = 'pg-pg' | 'mysql-mysql';
export const UD_DIRECTIONS: UdDirection[] = ['pg-pg', 'mysql-mysql'];

export interface UdResult {
  direction: UdDirection;
  changes: number; txns: number; finalRows: number;
  peerPerSec: number; peerCpu: CpuUse;
  /** OpenDI per lane count, in `lanes` order. */
  lanes: LaneRun[];
}

export async function benchUpdateDelete(direction: UdDirection, w: Workload = UPDATE_DELETE_WORKLOAD, o: { log?: (msg: string) => void; lanes?: number[] } = {}): Promise<UdResult> {
  const lanes = o.lanes ?? BENCH_LANES;
  const log = o.log ?? (() => undefined);
  const my = direction === 'mysql-mysql';
  let mSrc: MariaDbInstance | undefined;
  let mDst: MariaDbInstance | undefined;
  let pSrc: PgInstance | undefined;
  let pDst: PgInstance | undefined;
  let svc: OpenDIService | undefined;
  try {
    [mSrc, mDst, pSrc, pDst] = await Promise.all([
      my ? startMariaDb() : undefined,
      my ? startMariaDb({ settings: { server_id: '2', log_slave_updates: 'ON' } }) : undefined,
      my ? undefined : startPostgres(),
      my ? undefined : startPostgres(),
    ]);
    svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn' } });
    const src: Side = mSrc ? { kind: 'mysql', inst: mSrc, db: 's' } : { kind: 'pg', inst: pSrc!, db: 's' };
    const target = (db: string): Side => (mDst ? { kind: 'mysql', inst: mDst, db } : { kind: 'pg', inst: pDst!, db });
    // The MariaDB replica applies into the source's database name.
    const peerSide = target(my ? 's' : 'd_peer');
    const targets = lanes.map((l) => target(`d_opendi_${l}`));
    const sides = [src, ...targets, peerSide];
    for (const s of sides) {
      if (s.kind === 'mysql') { await s.inst.createDatabase(s.db); await s.inst.query(MY_XTABLE_DDL, [], s.db); }
      else { await s.inst.createDatabase(s.db); await s.inst.query(PG_XTABLE_DDL, [], s.db); }
    }
    let t0 = performance.now();
    await writePreload(sides, w);
    log(`updates/deletes ${direction}: ${w.preload} rows preloaded on ${sides.length} sides in ${Math.round(performance.now() - t0)} ms`);
    const preloaded = await digestOf(src);
    for (const s of sides.slice(1)) if ((await digestOf(s)) !== preloaded) throw new Error(`preload: ${s.db} differs from the source`);

    // Pin everything at the preloaded state: the peer's slot (PG) or binlog position (MariaDB), and the task.
    if (pSrc) {
      await pSrc.query(`CREATE PUBLICATION bench_pub FOR TABLE bench`, [], 's');
      await pSrc.query(`SELECT pg_create_logical_replication_slot('peer_sub', 'pgoutput')`, [], 's');
    }
    const tasks = await pinnedTasks(svc, src, targets, lanes);
    const warm = keepWarm(() => instanceInfo(tasks[0].client, tasks[0].projectId, tasks[0].fileId));
    const begin = mSrc ? await masterStatus(mSrc) : undefined;
    t0 = performance.now();
    const txns = mSrc ? await writeMySqlWorkload(mSrc, 's', w) : await writePgWorkload(pSrc!, 's', w, true);
    log(`updates/deletes ${direction}: ${changesOf(w)} changes written in ${Math.round(performance.now() - t0)} ms`);
    const end = mSrc ? await masterStatus(mSrc) : undefined;
    const changes = changesOf(w);
    const want = await digestOf(src);
    const finalRows = Number(want.split(':')[0]);

    // The peer
    let meter = cpuMeter(src, peerSide);
    let peerCpu: CpuUse | undefined;
    const caughtUp = () => { peerCpu = meter(); };
    const peerSeconds = mSrc ? await mariaDbReplicaPeer(mSrc, mDst!, begin!, end!, caughtUp) : await pgSubscriptionPeer(pSrc!, 's', 'peer_sub', 'bench_pub', peerSide, w, want, caughtUp);
    const peerGot = await digestOf(peerSide);
    if (peerGot !== want) throw new Error(`peer: target ${peerGot} != source ${want}`);

    // OpenDI end to end, each lane count in turn
    warm();
    const runs = await runLanes(tasks, targets, lanes, src, w, want, `updates/deletes ${direction}`, svc.pid, log);
    return { direction, changes, txns, finalRows, peerPerSec: changes / peerSeconds, peerCpu: peerCpu!, lanes: runs };
  } finally {
    if (svc) {
      if (svc.log.trim()) log(`service log tail:\n${svc.log.split('\n').slice(-20).join('\n')}`);
      await svc.destroy();
    }
    await Promise.all([mSrc?.destroy(), mDst?.destroy(), pSrc?.destroy(), pDst?.destroy()]);
  }
}
