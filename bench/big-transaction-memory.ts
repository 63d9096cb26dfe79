/**
 * Where the service's memory goes through one large transaction (issue 14, "RSS < 300 MB through a
 * 1,000,000-row transaction"): `node --import tsx bench/big-transaction-memory.ts ['<node flags>']`
 * runs the lifecycle bench's big transaction (ROWS, default 1,000,000) and prints the peak RSS with
 * the service's heap figures (/metrics, prom-client's nodejs_* gauges) sampled at that peak.
 * SNAP=<MiB> also writes a heap snapshot of the service (its live objects) once RSS passes that
 * many MiB, into the service's working directory (the repository root).
 */
import { setup, benchBigTransaction } from './pg-lifecycle.ts';
import { memoryOf } from './process-memory.ts';

const flags = process.argv[2] ?? '';
const snapAt = process.env.SNAP ? Number(process.env.SNAP) : undefined;
const env = await setup({ NODE_OPTIONS: [flags, snapAt ? '--heapsnapshot-signal=SIGUSR2' : ''].join(' ').trim() });
const mib = (n: string) => `${Math.round(Number(n) / 1048576)} MiB`;
let peak = { rss: 0, heap: '' };
let snapped = false;
const timer = setInterval(async () => {
  try {
    const text = await (await fetch(`http://${env.svc.endpoint}/metrics`)).text();
    const rss = memoryOf(env.svc.pid!).rssMiB;
    if (snapAt !== undefined && rss > snapAt && !snapped) { snapped = true; process.kill(env.svc.pid!, 'SIGUSR2'); }
    if (rss <= peak.rss) return;
    const lines = text.split('\n').filter((l) => /^nodejs_(heap_size_used_bytes|heap_size_total_bytes|external_memory_bytes|heap_space_size_used_bytes)/.test(l));
    peak = { rss, heap: lines.map((l) => { const [k, v] = l.split(' '); return `${k.replace(/^nodejs_|_bytes/g, '')} ${mib(v)}`; }).join('; ') };
  } catch { /* the service is busy: the next sample */ }
}, 150);
try {
  const r = await benchBigTransaction(env, Number(process.env.ROWS ?? 1_000_000));
  console.log(JSON.stringify({ flags, ...r }));
  console.log(`at the peak (${Math.round(peak.rss)} MiB RSS): ${peak.heap}`);
} finally {
  clearInterval(timer);
  await env.svc.destroy();
  await env.src.destroy();
  await env.dst.destroy();
}
