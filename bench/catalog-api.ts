/**
 * The API with a large catalog (issue 14, "Many tasks"): `tasks` real-time tasks created through
 * CreateDISyncTask, `concurrency` calls at a time, then the latency of GetDISyncInstanceInfo (a
 * random task each call), ListFiles (first page and a deep page, 100 per page) and ListDIJobs
 * (2024-05-18, first page), each called `calls` times in a row from this process (signed V3,
 * keep-alive). Reports p50 / p99 per call and the creation rate.
 */
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { call, createWorkspace, realtimeScript } from '../test/harness/realtime-scenario.ts';
import { percentile } from './pg-lifecycle.ts';
import { inParallel } from './many-tasks.ts';

export async function benchCatalogApi(o: { tasks: number; concurrency: number; calls: number; log: (m: string) => void }) {
  const svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn' } });
  try {
    const client = svc.client();
    const projectId = await createWorkspace(client, 'catalog_ws');
    const content = realtimeScript('s', 'd', ['public.t']);
    const fileIds: number[] = [];
    const t0 = performance.now();
    await inParallel(Array.from({ length: o.tasks }, (_, i) => i), o.concurrency, async (i) => {
      const r = await call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: `cat_task_${i}`, TaskContent: content });
      if (r.Data?.Status !== 'success') throw new Error(`CreateDISyncTask: ${JSON.stringify(r).slice(0, 500)}`);
      fileIds.push(r.Data.FileId);
    });
    const createPerSec = o.tasks / ((performance.now() - t0) / 1000);
    o.log(`catalog: ${o.tasks} tasks created at ${Math.round(createPerSec)}/s`);
    const timed = async (what: string, fn: (i: number) => Promise<unknown>) => {
      const ms: number[] = [];
      for (let i = 0; i < o.calls; i++) { const t = performance.now(); await fn(i); ms.push(performance.now() - t); }
      return { call: what, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
    };
    const deepPage = Math.max(1, Math.floor(o.tasks / 100 / 2));
    let listFilesTotal = 0;
    let listJobsTotal = 0;
    const calls = [
      await timed('GetDISyncInstanceInfo', (i) => call(client, 'GetDISyncInstanceInfo', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileIds[(i * 7919) % fileIds.length] })),
      await timed('ListFiles page 1 of 100', async () => { listFilesTotal = (await call(client, 'ListFiles', { ProjectId: projectId, PageNumber: 1, PageSize: 100 })).Data.TotalCount; }),
      await timed(`ListFiles page ${deepPage} of 100`, () => call(client, 'ListFiles', { ProjectId: projectId, PageNumber: deepPage, PageSize: 100 })),
      await timed('ListDIJobs (2024-05-18) page 1 of 100', async () => {
        listJobsTotal = (await client.call('ListDIJobs', { ProjectId: projectId, PageNumber: 1, PageSize: 100 }, '2024-05-18')).body.PagingInfo?.TotalCount ?? 0;
      }),
    ];
    return { tasks: o.tasks, createPerSec, calls, listFilesTotal, listJobsTotal, callsEach: o.calls };
  } finally {
    await svc.destroy();
  }
}
