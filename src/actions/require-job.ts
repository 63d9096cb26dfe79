/**
 * The 2024-05-18 operations name a job by `Id` (or the deprecated `DIJobId`) and mostly carry no
 * ProjectId (spec/di-api-audit.md section 4.0). A job is a real-time task file: one id space with
 * the 2020 FileId. Resolves the job and checks the caller may see its workspace; an unknown job,
 * a job of another workspace than a given ProjectId, and a job the caller may not see all answer
 * `Invalid.DIJob.NotExists`, so job ids cannot be probed.
 */
import { jobNotFound, paramInvalid, paramMissing } from '../protocol/errors.ts';
import type { ActionContext } from '../protocol/action-registry.ts';
import type { TaskFileRecord } from '../store/catalog-store.ts';
import { REALTIME_FILE_TYPE } from '../domain/task-status.ts';
import type { ActionDeps } from './action-deps.ts';
import { canAccessProject } from './access.ts';

/**
 * `Id` and its deprecated alias `DIJobId` (or another pair), each as [name, decoded value]; both
 * given and different is a 400.
 */
export function jobIdParam([name, a]: readonly [string, number | undefined], [alias, b]: readonly [string, number | undefined]): number {
  if (a !== undefined && b !== undefined && a !== b) throw paramInvalid(alias, `must equal ${name} when both are given`);
  const id = a ?? b;
  if (id === undefined) throw paramMissing(name);
  return id;
}

export async function requireJob(deps: ActionDeps, ctx: ActionContext, id: number, projectId?: number): Promise<TaskFileRecord> {
  const file = await deps.store.getTaskFile(id);
  if (!file || file.fileType !== REALTIME_FILE_TYPE) throw jobNotFound(id);
  if (projectId !== undefined && file.projectId !== projectId) throw jobNotFound(id);
  if (!(await canAccessProject(deps, ctx.principalId, file.projectId))) throw jobNotFound(id);
  return file;
}
