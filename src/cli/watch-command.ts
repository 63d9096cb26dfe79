/**
 * `opendi watch <FileId> [--ProjectId N] [--interval-ms 2000] [--count N]`: follows a real-time
 * task, one line per poll of GetDISyncInstanceInfo: status, phase, delay, load progress, applied
 * rows, dirty records, alerts and the message. Runs until Ctrl-C (or --count polls). Without
 * --ProjectId it finds the task's workspace among those the key can see. A poll that cannot
 * reach the service prints why and the watch goes on (the service may be restarting).
 */
import type { DataWorksClient } from '../client/dataworks-client.ts';
import { openConnection, unreachableHint } from './cli-connection.ts';

const USAGE = 'usage: opendi watch <FileId> [--ProjectId N] [--interval-ms 2000] [--count N] [--endpoint host:port] [--data-dir D]\n';

export async function watchCommand(fileIdText: string | undefined, flags: Record<string, string>): Promise<number> {
  const fileId = Number(fileIdText);
  const intervalMs = Number(flags['interval-ms'] ?? 2000);
  const count = flags.count === undefined ? Infinity : Number(flags.count);
  if (flags.help !== undefined || !Number.isSafeInteger(fileId) || !(intervalMs >= 100) || !(count >= 1)) {
    process.stderr.write(USAGE);
    return flags.help !== undefined ? 0 : 2;
  }
  const conn = openConnection(flags);
  if (typeof conn === 'string') { process.stderr.write(`${conn}\n`); return 2; }
  let projectId: number | undefined;
  try {
    projectId = flags.ProjectId !== undefined ? Number(flags.ProjectId) : await findProject(conn.client, fileId);
  } catch (err) {
    process.stderr.write(`${unreachableHint(err, conn.endpoint) ?? (err as Error).message}\n`);
    return 1;
  }
  if (projectId === undefined) { process.stderr.write(`no task with FileId ${fileId} in the workspaces this key can see\n`); return 1; }

  let stopped = false;
  let wake: () => void = () => undefined;
  const onSigint = () => { stopped = true; wake(); };
  process.once('SIGINT', onSigint);
  try {
    for (let i = 0; i < count && !stopped; i++) {
      if (i > 0) await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, intervalMs); });
      if (stopped) break;
      try {
        const body = (await conn.client.call('GetDISyncInstanceInfo', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId })).body;
        if (body.Data?.Status === 'fail') { process.stderr.write(`${body.Data.Message}\n`); return 1; }
        process.stdout.write(watchLine(new Date(), body.Data) + '\n');
      } catch (err) {
        process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${unreachableHint(err, conn.endpoint) ?? (err as Error).message}\n`);
      }
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function findProject(client: DataWorksClient, fileId: number): Promise<number | undefined> {
  for (let page = 1; ; page++) {
    const projects = (await client.call('ListProjects', { PageNumber: page, PageSize: 100 })).body.PageResult;
    for (const p of projects.ProjectList) {
      const files = (await client.call('ListFiles', { ProjectId: p.ProjectId, FileIdIn: String(fileId) })).body.Data;
      if (files.TotalCount > 0) return p.ProjectId;
    }
    if (page * 100 >= projects.TotalCount) return undefined;
  }
}

/** `12:00:01 RUN incremental delay 0.3s loaded 50022 rows (1 tables) applied 12 dirty 0 alerts 0 | message` */
export function watchLine(at: Date, data: Record<string, any>): string {
  const m = data.Metrics ?? {};
  const parts = [at.toISOString().slice(11, 19), data.Status];
  if (m.Phase) parts.push(m.Phase === 'FULL_LOAD' ? 'full-load' : 'incremental');
  if (m.DelaySeconds !== null && m.DelaySeconds !== undefined) parts.push(`delay ${Number(m.DelaySeconds).toFixed(1)}s`);
  if (m.Phase) parts.push(`loaded ${m.RowsLoaded ?? 0} rows (${m.TablesLoaded ?? 0} tables)`);
  if (m.RowsApplied !== null && m.RowsApplied !== undefined) parts.push(`applied ${m.RowsApplied}`);
  parts.push(`dirty ${m.DirtyRecords ?? 0}`, `alerts ${m.AlertCount ?? 0}`);
  // Without a reason to report, Message repeats the figures in words (instance-progress.ts progressSummary).
  const message = typeof data.Message === 'string' && !/^(full load|incremental);/.test(data.Message) ? data.Message : null;
  return parts.join(' ') + (message ? ` | ${message}` : '');
}
