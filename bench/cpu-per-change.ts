/**
 * Service CPU per change of one direction, without the profiler (bench/profile.ts inflates it):
 *   BENCH_CHANGES=300000 node --import tsx bench/cpu-per-change.ts [mysql-mysql|mysql-pg|pg-mysql] [runs=1]
 * prints, per run, OpenDI changes/s and the service's CPU µs per change (service CPU seconds /
 * changes) of the first lane count (BENCH_LANES, default 1 here).
 */
import { benchDirection, DIRECTIONS, type Direction } from './mysql-directions.ts';
import { DEFAULT_WORKLOAD } from './common.ts';

const direction = (process.argv[2] ?? 'mysql-mysql') as Direction;
if (!DIRECTIONS.includes(direction)) throw new Error(`direction: one of ${DIRECTIONS.join(', ')}`);
const runs = Number(process.argv[3] ?? 1);
const lanes = (process.env.BENCH_LANES ?? '1').split(',').map(Number);
for (let i = 0; i < runs; i++) {
  const r = await benchDirection(direction, DEFAULT_WORKLOAD, { lanes, log: (m) => console.error(`[cpu] ${m}`) });
  for (const l of r.lanes) {
    const svc = l.cpu.serviceCpuSeconds ?? NaN;
    console.log(`${direction} run ${i + 1}, ${l.lanes} lane(s): ${Math.round(l.opendiPerSec).toLocaleString('en-US')} changes/s; service CPU ${svc.toFixed(2)} s in ${l.cpu.wallSeconds.toFixed(1)} s wall = ${((svc * 1e6) / r.changes).toFixed(2)} µs per change`);
  }
}
