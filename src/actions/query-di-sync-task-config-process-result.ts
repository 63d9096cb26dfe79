/**
 * QueryDISyncTaskConfigProcessResult (2020-05-18): the outcome of a config process and its
 * TaskContent. The documented Status values are only `success` and `fail`, so an unfinished
 * process is waited for, up to QUERY_WAIT_MS; one still unfinished then answers `fail` with a
 * message saying it is "still being generated" and to retry (docs/design.md section 2; README,
 * "What is served").
 */
import type { Action } from './action-handler.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireProject, requireRealtimeTaskType } from './access.ts';

/**
 * Well below 3 s: an @alicloud/openapi-core client with no timeouts configured gives up on an
 * answer that has not started within 3 s (its HTTP layer's default).
 */
export const QUERY_WAIT_MS = 2_000;
export const STILL_GENERATING = 'still being generated';

export const queryConfigProcessResult: Action<'2020-05-18', 'QueryDISyncTaskConfigProcessResult'> = async (deps, ctx) => {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId);
  const id = ctx.params.AsyncProcessId;
  let proc = await deps.store.getConfigProcess(id);
  if (!proc || proc.projectId !== project.id) {
    return { Success: true, Data: { Status: 'fail', Message: `asyncProcessId:[${id}] is invalid.`, TaskContent: null } };
  }
  if (proc.status === 'running') {
    await deps.configProcessor.waitFor(id, QUERY_WAIT_MS);
    proc = (await deps.store.getConfigProcess(id)) ?? proc;
  }
  if (proc.status === 'running') {
    return { Success: true, Data: { Status: 'fail', Message: `the config of asyncProcessId:[${id}] is ${STILL_GENERATING}; retry this query.`, TaskContent: null } };
  }
  return { Success: true, Data: { Status: proc.status, Message: proc.message, TaskContent: proc.taskContent } };
};
