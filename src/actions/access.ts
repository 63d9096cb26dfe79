/**
 * Workspace access (docs/design.md section 3): AccessKeys map to principals, principals to workspaces.
 * An unknown workspace and a workspace the caller may not see answer alike (403), so callers
 * cannot probe which workspace ids exist.
 */
import { forbiddenAccess, paramInvalid } from '../protocol/errors.ts';
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ProjectRecord, TaskFileRecord } from '../store/catalog-store.ts';
import { REALTIME_FILE_TYPE, REALTIME_TASK_TYPE } from '../domain/task-status.ts';
import type { ActionDeps } from './action-deps.ts';

export async function canAccessProject(deps: ActionDeps, principalId: string, projectId: number): Promise<boolean> {
  const principal = await deps.store.getPrincipal(principalId);
  if (principal?.isAdmin) return true;
  return deps.store.isProjectMember(projectId, principalId);
}

export async function requireProject(deps: ActionDeps, ctx: ActionContext, projectId: number): Promise<ProjectRecord> {
  const project = await deps.store.getProject(projectId);
  if (!project || !(await canAccessProject(deps, ctx.principalId, projectId))) throw forbiddenAccess(projectId);
  return project;
}

/** Only real-time tasks are served; any other TaskType is an invalid parameter value. */
export function requireRealtimeTaskType(params: { TaskType: string }): void {
  if (params.TaskType !== REALTIME_TASK_TYPE) {
    throw paramInvalid('TaskType', `must be ${REALTIME_TASK_TYPE}; got ${JSON.stringify(params.TaskType)}`);
  }
}

/** The task file, when FileId names a real-time task of the workspace. */
export async function findRealtimeTask(deps: ActionDeps, projectId: number, fileId: number): Promise<TaskFileRecord | undefined> {
  const file = await deps.store.getTaskFile(fileId);
  return file && file.projectId === projectId && file.fileType === REALTIME_FILE_TYPE ? file : undefined;
}

export const invalidFileMessage = (fileId: number) => `fileId:[${fileId}] is invalid.`;

/** `Data: {Status, Message}`, the answer shape of the DI task and instance actions. */
export function statusData(ok: boolean, message: string | null, extra: Record<string, unknown> = {}) {
  return { Success: true, Data: { Status: ok ? 'success' : 'fail', Message: message, ...extra } };
}

/** Validates PageNumber/PageSize and returns the row offset. */
export function paging(params: { PageNumber?: number; PageSize?: number }, defaultSize: number, maxSize: number) {
  const pageNumber = params.PageNumber ?? 1;
  const pageSize = params.PageSize ?? defaultSize;
  if (pageNumber < 1) throw paramInvalid('PageNumber', 'must be 1 or greater');
  if (pageSize < 1 || pageSize > maxSize) throw paramInvalid('PageSize', `must be between 1 and ${maxSize}`);
  return { pageNumber, pageSize, offset: (pageNumber - 1) * pageSize };
}

/** DataWorks renders Gmt* fields in Java's default date style, e.g. "Mar 17, 2021 4:09:32 PM". */
export function gmtString(ms: number): string {
  const d = new Date(ms);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const h = d.getUTCHours() % 12 || 12;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${month} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${h}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
}
