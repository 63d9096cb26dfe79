/**
 * MySQL -> PG, PG -> MySQL and MySQL -> MySQL throughput (issue "Benchmarks"), each measured side
 * by side on the same workload (500,000 changes: inserts, then updates, then deletes, in
 * transactions of 1..1,000 rows), already in the source before the task starts:
 *  (a) raw source read: MariaDB source: `mariadb-binlog --read-from-remote-server` draining the
 *      workload's binlog range to /dev/null (decoded to its SQL text), and the same with `--raw`
 *      (the bytes as they arrive, into files); PostgreSQL source: pg_recvlogical (pgoutput);
 *  (b) raw sink write: the final rows, exported from the source and loaded into an empty target
 *      table with the fastest plain method: MariaDB target `LOAD DATA LOCAL INFILE .. REPLACE`,
 *      PostgreSQL target COPY into a stage table + INSERT .. ON CONFLICT;
 *  (c) MySQL -> MySQL only, the peer: MariaDB's own replication (CHANGE MASTER TO the workload's
 *      first binlog position, START SLAVE -> Exec_Master_Log_Pos at the workload's end);
 *  OpenDI: StartDISyncInstance -> target equals source (row count and a checksum on both sides),
 *  through the service API.
 * Source and target are separate private instances; the MariaDB target (server_id 2) is also the
 * peer's replica and logs what it applies (log_slave_updates), as OpenDI's writes are logged.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, type PgInstance } from '../test/harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from '../test/harness/mariadb.ts';
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { instanceInfo } from '../test/harness/realtime-scenario.ts';
import {
  keepWarm, changesOf, countOf, cpuMeter, currentLsn, DEFAULT_WORKLOAD, digestOf, mariaDbReplicaPeer, masterStatus, MY_XTABLE_DDL, perSec, PG_XTABLE_DDL, pgRecvLogical,
  pinnedTasks, run, runLanes, BENCH_LANES, writeMySqlWorkload, writePgWorkload, type CpuUse, type LaneRun, type Side, type Workload,
} from './common.ts';

export type { CpuUse } from './common.ts';

export type Direction = 'mysql-pg' | 'pg-mysql' | 'mysql-mysql';
export const DIRECTIONS: Direction[] = ['mysql-pg', 'pg-mysql', 'mysql-mysql'];

export interface DirectionResult {
  direction: Direction;
  changes: number; txns: number; finalRows: number;
  /** MariaDB source: the workload's binlog range in bytes. */
  binlogBytes?: number;
  /** (a): the faster of the two MariaDB reads below, or pg_recvlogical. */
  rawReadPerSec: number;
  /** MariaDB source: mariadb-binlog decoding to SQL text into /dev/null. */
  binlogDecodePerSec?: number;
  /** MariaDB source: mariadb-binlog --raw (binlog bytes into files). */
  binlogRawPerSec?: number;
  /** MariaDB source, for context only (not in (a)): mariadb-binlog --verbose, row events decoded to pseudo-SQL. */
  binlogVerbosePerSec?: number;
  /** (b) */
  rawWritePerSec: number;
  /** (c) MySQL -> MySQL only. */
  peerPerSec?: number;
  /** The first lane count's run (lanes[0], 1 by default). */
  opendiPerSec: number;
  /** CPU seconds used during the OpenDI run (and the peer's), per process tree, against its wall seconds. */
  opendiCpu?: CpuUse;
  peerCpu?: CpuUse;
  /** Every lane count's run, side by side on the same backlog. */
  lanes: LaneRun[];
}

export interface DirectionOptions { serviceEnv?: Record<string, string>; log?: (msg: string) => void; lanes?: number[] }

const sh = (cmd: string) => run('bash', ['-c', `set -o pipefail; ${cmd}`], { maxBuffer: 16 * 2 ** 20 });
const myArgs = (m: MariaDbInstance) => `-h ${m.host} -P ${m.port} -u root`;
const pgArgs = (p: PgInstance) => `-h ${p.host} -p ${p.port} -U postgres`;

export async function benchDirection(direction: Direction, w: Workload = DEFAULT_WORKLOAD, o: DirectionOptions = {}): Promise<DirectionResult> {
  const log = o.log ?? (() => undefined);
  const lanes = o.lanes ?? BENCH_LANES;
  const fromMy = direction !== 'pg-mysql';
  const toMy = direction !== 'mysql-pg';
  let mSrc: MariaDbInstance | undefined;
  let pSrc: PgInstance | undefined;
  let mDst: MariaDbInstance | undefined;
  let pDst: PgInstance | undefined;
  let svc: OpenDIService | undefined;
  const binlogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-bench-binlog-'));
  try {
    [mSrc, pSrc, mDst, pDst] = await Promise.all([
      fromMy ? startMariaDb() : undefined,
      fromMy ? undefined : startPostgres(),
      toMy ? startMariaDb({ settings: { server_id: '2', log_slave_updates: 'ON' } }) : undefined,
      toMy ? undefined : startPostgres(),
    ]);
    svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn', ...o.serviceEnv } });
    const laneDbs = lanes.map((l) => `d_l${l}`);
    const targetDbs = [...laneDbs, 'd_raw', ...(direction === 'mysql-mysql' ? ['s'] : [])];
    const src: Side = mSrc ? { kind: 'mysql', inst: mSrc, db: 's' } : { kind: 'pg', inst: pSrc!, db: 's' };
    const target = (db: string): Side => (mDst ? { kind: 'mysql', inst: mDst, db } : { kind: 'pg', inst: pDst!, db });
    if (mSrc) { await mSrc.createDatabase('s'); await mSrc.query(MY_XTABLE_DDL, [], 's'); }
    if (pSrc) {
      await pSrc.createDatabase('s');
      await pSrc.query(PG_XTABLE_DDL, [], 's');
      await pSrc.query(`CREATE PUBLICATION bench_pub FOR TABLE bench`, [], 's');
      await pSrc.query(`SELECT pg_create_logical_replication_slot('raw_read', 'pgoutput')`, [], 's');
    }
    for (const db of targetDbs) {
      if (mDst) { await mDst.createDatabase(db); await mDst.query(MY_XTABLE_DDL, [], db); }
      if (pDst) { await pDst.createDatabase(db); await pDst.query(PG_XTABLE_DDL, [], db); }
    }

    // The task: first start pins its source position (slot / binlog position), then it waits stopped.
    const tasks = await pinnedTasks(svc, src, laneDbs.map(target), lanes);
    const warm = keepWarm(() => Promise.all(tasks.map((t) => instanceInfo(t.client, t.projectId, t.fileId))));
    // The workload, all in the source before anything reads it.
    const begin = mSrc ? await masterStatus(mSrc) : undefined;
    let t0 = performance.now();
    const txns = mSrc ? await writeMySqlWorkload(mSrc, 's', w) : await writePgWorkload(pSrc!, 's', w, true);
    log(`${direction}: workload written in ${Math.round(performance.now() - t0)} ms`);
    const changes = changesOf(w);
    const end = mSrc ? await masterStatus(mSrc) : undefined;
    const want = await digestOf(src);
    const finalRows = await countOf(src);
    const r: DirectionResult = { direction, changes, txns, finalRows, rawReadPerSec: 0, rawWritePerSec: 0, opendiPerSec: 0, lanes: [] };

    // (a) raw read
    if (mSrc && begin && end) {
      if (begin.file !== end.file) log(`${direction}: the workload spans binlog files ${begin.file}..${end.file}`);
      r.binlogBytes = begin.file === end.file ? end.pos - begin.pos : undefined;
      const range = `--read-from-remote-server ${myArgs(mSrc)} --start-position=${begin.pos} --stop-position=${end.pos} --to-last-log ${begin.file}`;
      t0 = performance.now();
      await sh(`mariadb-binlog ${range} > /dev/null`);
      r.binlogDecodePerSec = perSec(changes, t0);
      t0 = performance.now();
      await sh(`mariadb-binlog --raw ${range} --result-file=${binlogDir}/`);
      r.binlogRawPerSec = perSec(changes, t0);
      r.rawReadPerSec = Math.max(r.binlogDecodePerSec, r.binlogRawPerSec);
      t0 = performance.now();
      await sh(`mariadb-binlog --verbose ${range} > /dev/null`);
      r.binlogVerbosePerSec = perSec(changes, t0);
    } else {
      r.rawReadPerSec = changes / await pgRecvLogical(pSrc!, 's', 'raw_read', 'bench_pub', await currentLsn(pSrc!, 's'));
    }

    // (b) raw write of the final rows
    const exportCmd = mSrc ? `mariadb ${myArgs(mSrc)} -N -B s -e "SELECT id, k, v, n, ts FROM bench"` : `psql ${pgArgs(pSrc!)} -d s -qAtc "COPY bench TO STDOUT"`;
    const loadCmd = mDst ? `mariadb ${myArgs(mDst)} --local-infile=1 d_raw -e "LOAD DATA LOCAL INFILE '/dev/stdin' REPLACE INTO TABLE bench"`
      : `psql ${pgArgs(pDst!)} -d d_raw -qc "CREATE TEMP TABLE stage (LIKE bench); COPY stage FROM STDIN; INSERT INTO bench SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET k = EXCLUDED.k, v = EXCLUDED.v, n = EXCLUDED.n, ts = EXCLUDED.ts"`;
    t0 = performance.now();
    await sh(`${exportCmd} | ${loadCmd}`);
    r.rawWritePerSec = perSec(finalRows, t0);
    const rawGot = await digestOf(target('d_raw'));
    if (rawGot !== want) throw new Error(`raw write: target ${rawGot} != source ${want}`);

    // (c) peer: MariaDB replication from the workload's first position
    if (direction === 'mysql-mysql' && mSrc && mDst && begin && end) {
      const meter = cpuMeter(src, target('s'));
      r.peerPerSec = changes / await mariaDbReplicaPeer(mSrc, mDst, begin, end, () => { r.peerCpu = meter(); });
      const peerGot = await digestOf(target('s'));
      if (peerGot !== want) throw new Error(`peer: replica ${peerGot} != source ${want}`);
    }

    // OpenDI end to end
    warm();
    r.lanes = await runLanes(tasks, laneDbs.map(target), lanes, src, w, want, direction, svc.pid, log);
    r.opendiPerSec = r.lanes[0].opendiPerSec;
    r.opendiCpu = r.lanes[0].cpu;
    return r;
  } finally {
    if (svc) {
      // A timeout above: the service's own log says why.
      if (svc.log.trim()) log(`service log tail:\n${svc.log.split('\n').slice(-20).join('\n')}`);
      await svc.destroy();
    }
    await Promise.all([mSrc?.destroy(), pSrc?.destroy(), mDst?.destroy(), pDst?.destroy()]);
    fs.rmSync(binlogDir, { recursive: true, force: true });
  }
}
