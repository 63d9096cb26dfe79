/**
 * GenerateDISyncTaskConfigForCreating and ...ForUpdating (2020-05-18): start an asynchronous
 * config process; the answer carries its ProcessId for QueryDISyncTaskConfigProcessResult.
 */
import { paramInvalid } from '../protocol/errors.ts';
import type { Action } from './action-handler.ts';
import { isObject } from '../domain/task-content.ts';
import { mergeScript } from '../runtime/config-processor.ts';
import type { ActionDeps } from './action-deps.ts';
import { findRealtimeTask, requireProject, requireRealtimeTaskType } from './access.ts';

function parseTaskParam(text: string): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw paramInvalid('TaskParam', 'is not valid JSON'); }
  if (!isObject(v)) throw paramInvalid('TaskParam', 'must be a JSON object');
  return v;
}

export const generateConfigForCreating: Action<'2020-05-18', 'GenerateDISyncTaskConfigForCreating'> = async (deps, ctx) => {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId);
  const script = parseTaskParam(ctx.params.TaskParam);
  const processId = await deps.configProcessor.submit(project.id, 'create', null, JSON.stringify(script));
  return { Success: true, Data: { Status: 'success', ProcessId: processId, Message: null } };
};

export const generateConfigForUpdating: Action<'2020-05-18', 'GenerateDISyncTaskConfigForUpdating'> = async (deps, ctx) => {
  requireRealtimeTaskType(ctx.params);
  const project = await requireProject(deps, ctx, ctx.params.ProjectId);
  const patch = parseTaskParam(ctx.params.TaskParam);
  const taskId = ctx.params.TaskId;
  const file = await findRealtimeTask(deps, project.id, taskId);
  if (!file) return { Success: true, Data: { Status: 'fail', ProcessId: null, Message: `taskId:[${taskId}] is invalid.` } };
  const merged = mergeScript(JSON.parse(file.content), patch);
  const processId = await deps.configProcessor.submit(project.id, 'update', taskId, JSON.stringify(merged));
  return { Success: true, Data: { Status: 'success', ProcessId: processId, Message: null } };
};
