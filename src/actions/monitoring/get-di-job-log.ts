/**
 * GetDIJobLog (2024-05-18, spec/di-api-audit.md section 4.2): a page of one instance's log
 * (src/runtime/monitoring/instance-log.ts), oldest line first, PAGE_LINES lines a page, "" past
 * the end. The instance is InstanceId, else the instance of the failover FailoverId names (the
 * page then starts FAILOVER_CONTEXT lines before the failover), else the job's current instance.
 * NodeType (MASTER / WORKER) only means something on the cloud's resource group 2.0: accepted,
 * and the whole log is the answer either way.
 */
import { paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { jobIdParam, requireJob } from '../require-job.ts';

const PAGE_LINES = 1_000;
const FAILOVER_CONTEXT = 100;

export const getDIJobLog: Action<'2024-05-18', 'GetDIJobLog'> = async (deps, ctx) => {
  const p = ctx.params;
  const job = await requireJob(deps, ctx, jobIdParam(['Id', p.Id], ['DIJobId', p.DIJobId]));
  const nodeType = p.NodeType;
  if (nodeType !== undefined && !/^(MASTER|WORKER)$/i.test(nodeType)) throw paramInvalid('NodeType', 'must be MASTER or WORKER');
  const pageNumber = p.PageNumber ?? 1;
  if (!Number.isSafeInteger(pageNumber) || pageNumber < 1) throw paramInvalid('PageNumber', 'must be 1 or greater');
  let instanceId = p.InstanceId;
  let fromSeq = 0;
  if (p.FailoverId !== undefined) {
    const failover = await deps.store.monitoring.getEvent(p.FailoverId);
    if (!failover || failover.taskId !== job.id || failover.kind !== 'Failover') throw paramInvalid('FailoverId', `is not a failover of job ${job.id}`);
    if (instanceId !== undefined && instanceId !== failover.instanceId) throw paramInvalid('InstanceId', `must be ${failover.instanceId}, the instance of that failover, or be left out`);
    instanceId = failover.instanceId;
    if (failover.logSeq) fromSeq = await deps.store.monitoring.logSeqBefore(instanceId, failover.logSeq, FAILOVER_CONTEXT);
  }
  instanceId ??= (await deps.store.getTaskRuntime(job.id)).instanceId || await deps.store.monitoring.latestLogInstance(job.id);
  if (!instanceId) return { Log: '' };
  const lines = await deps.store.monitoring.readLogLines(instanceId, fromSeq, (pageNumber - 1) * PAGE_LINES, PAGE_LINES);
  // An instance id of another job shows nothing (the lines say which task they belong to).
  const own = lines.filter((l) => l.taskId === job.id);
  return { Log: own.map((l) => `${new Date(l.ts).toISOString().replace('T', ' ').replace('Z', '')} ${l.level.padEnd(5)} ${l.text}`).join('\n') };
};
