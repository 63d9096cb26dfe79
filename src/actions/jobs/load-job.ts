/**
 * The job an operation names (`Id` / `DIJobId`; ProjectId when the operation has one), checked for
 * access (src/actions/require-job.ts; a named workspace the caller may not use is a 403), with its job document: the one the 2024 API stored, or the
 * one derived from a 2020 task's TaskContent (src/domain/di-job/job-of-task.ts).
 */
import type { ActionContext } from '../../protocol/action-registry.ts';
import { paramInvalid } from '../../protocol/errors.ts';
import type { DIJobRecord, TaskFileRecord } from '../../store/catalog-store.ts';
import { JobInputError, type JobDocument } from '../../domain/di-job/job-document.ts';
import { jobOfTask } from '../../domain/di-job/job-of-task.ts';
import { currentJobDocument } from '../../runtime/di-job/job-pipeline-spec.ts';
import type { ActionDeps } from '../action-deps.ts';
import { jobIdParam, requireJob } from '../require-job.ts';
import { requireProject } from '../access.ts';

export interface LoadedJob {
  file: TaskFileRecord;
  doc: JobDocument;
  /** The 2024 job row, when the job document is the stored one (not derived from a 2020 task). */
  row: DIJobRecord | undefined;
}

/** The parameters that name a job; `id` is given where an operation names it otherwise (ListDIJobRunDetails: DIJobId). */
type JobParams = { Id?: number; DIJobId?: number; ProjectId?: number };

export async function loadJob(deps: ActionDeps, ctx: ActionContext<JobParams>,
  id = jobIdParam(['Id', ctx.params.Id], ['DIJobId', ctx.params.DIJobId])): Promise<LoadedJob> {
  const projectId = ctx.params.ProjectId;
  // A workspace the caller names but may not use is a 403, as in 2020; a job outside it answers like an unknown job.
  if (projectId !== undefined) await requireProject(deps, ctx, projectId);
  const file = await requireJob(deps, ctx, id, projectId);
  const stored = await currentJobDocument(deps.store, file);
  return { file, doc: stored ?? jobOfTask(file), row: stored ? await deps.store.getDIJob(file.id) : undefined };
}

/** A JobInputError as the API's 400, naming the parameter and the path inside it. */
export function asParamError(err: unknown): unknown {
  return err instanceof JobInputError ? paramInvalid(err.path, err.reason) : err;
}
