/**
 * The load generator of the API benchmark, run as a second process: `concurrency` loops of
 * signed V3 GetDISyncInstanceInfo calls for `seconds`; prints {requests, rps, p50Ms, p99Ms}.
 * argv: endpoint accessKeyId secret projectId fileIdsCsv seconds concurrency
 */
import { DataWorksClient } from '../src/client/dataworks-client.ts';

const [endpoint, accessKeyId, accessKeySecret, projectId, fileIdsCsv, seconds, concurrency] = process.argv.slice(2);
const fileIds = fileIdsCsv.split(',').map(Number);
const client = new DataWorksClient({ endpoint, accessKeyId, accessKeySecret });
const latencies: number[] = [];
const end = performance.now() + Number(seconds) * 1000;
let errors = 0;
await Promise.all(Array.from({ length: Number(concurrency) }, async (_, w) => {
  for (let i = w; performance.now() < end; i++) {
    const t0 = performance.now();
    try {
      await client.call('GetDISyncInstanceInfo', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileIds[i % fileIds.length] });
      latencies.push(performance.now() - t0);
    } catch { errors++; }
  }
}));
latencies.sort((a, b) => a - b);
const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(JSON.stringify({ requests: latencies.length, errors, rps: latencies.length / Number(seconds), p50Ms: at(0.5), p99Ms: at(0.99) }));
