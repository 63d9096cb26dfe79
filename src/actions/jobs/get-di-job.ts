/** GetDIJob (2024-05-18): the job under `PagingInfo` (the SDK model's name), with details unless WithDetails=false. */
import type { Action } from '../action-handler.ts';
import { jobStatusOf } from '../../domain/di-job/job-status.ts';
import type { ActionDeps } from '../action-deps.ts';
import { loadJob } from './load-job.ts';
import { jobDetail } from './job-view.ts';

export const getDIJob: Action<'2024-05-18', 'GetDIJob'> = async (deps, ctx) => {
  const { file, doc, row } = await loadJob(deps, ctx);
  const rt = await deps.lifecycle.runtime(file.id);
  return { PagingInfo: jobDetail(file, doc, jobStatusOf(rt.status), ctx.params.WithDetails !== false, row?.fileSpec ?? null) };
};
