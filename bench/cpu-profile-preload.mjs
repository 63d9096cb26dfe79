// Preloaded into the service by bench/profile.ts (NODE_OPTIONS=--import ..., since Node 20 refuses
// --cpu-prof in NODE_OPTIONS): the V8 CPU profiler from process start, written on exit into
// $BENCH_CPU_PROF_DIR as <pid>.cpuprofile. In-thread inspector calls are synchronous.
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROF_INTERVAL_US ?? 1000) });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) fs.writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
