/**
 * API benchmark (issue "Benchmarks", item 4): GetDISyncInstanceInfo with signed V3 requests from a
 * second process against a service whose catalog holds 100 tasks.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { OpenDIService } from '../test/harness/opendi-service.ts';
import { call, createWorkspace, realtimeScript } from '../test/harness/realtime-scenario.ts';

const run = promisify(execFile);

export async function benchApi(opts: { tasks: number; seconds: number; concurrency: number }) {
  const svc = await OpenDIService.start({ env: { OPENDI_LOG_LEVEL: 'warn' } });
  try {
    const client = svc.client();
    const projectId = await createWorkspace(client, 'api_ws');
    const fileIds: number[] = [];
    for (let i = 0; i < opts.tasks; i++) {
      const r = await call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: `api_task_${i}`, TaskContent: realtimeScript('s', 'd', ['public.t']) });
      fileIds.push(r.Data.FileId);
    }
    const script = fileURLToPath(new URL('./api-load-client.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script, svc.endpoint, svc.accessKeyId, svc.accessKeySecret,
      String(projectId), fileIds.join(','), String(opts.seconds), String(opts.concurrency)], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
    return { tasks: opts.tasks, concurrency: opts.concurrency, ...JSON.parse(stdout.trim().split('\n').pop()!) };
  } finally {
    await svc.destroy();
  }
}
