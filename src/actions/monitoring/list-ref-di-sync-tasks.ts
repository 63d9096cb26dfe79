/**
 * ListRefDISyncTasks (2020-05-18, spec/di-api-audit.md section 5): the workspace's sync tasks that
 * read from (`RefType` from) or write to (`to`) a data source. DiSourceDatasource and
 * DiDestinationDatasource are JSON-array strings (`"[\"name\"]"`), as the cloud writes them even
 * for one data source. OpenDI has no batch (DI_OFFLINE) tasks: that type lists nothing. A task
 * counts when its draft or its deployed script references the data source.
 */
import { paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { paging, requireProject } from '../access.ts';
import { REALTIME_FILE_TYPE, REALTIME_TASK_TYPE } from '../../domain/task-status.ts';
import { parseRealtimeTask, type RealtimeTaskDefinition } from '../../domain/task-content.ts';

const MAX_TASKS_SCANNED = 100_000;

export const listRefDISyncTasks: Action<'2020-05-18', 'ListRefDISyncTasks'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId);
  const refType = p.RefType;
  if (refType !== 'from' && refType !== 'to') throw paramInvalid('RefType', 'must be from (the data source is read) or to (it is written)');
  const taskType = p.TaskType;
  if (taskType !== 'DI_OFFLINE' && taskType !== REALTIME_TASK_TYPE) throw paramInvalid('TaskType', 'must be DI_OFFLINE or DI_REALTIME');
  const { pageNumber, offset, pageSize } = paging(p, 10, 100);
  if (pageNumber > 100) throw paramInvalid('PageNumber', 'must be between 1 and 100');
  if (taskType === 'DI_OFFLINE') return { Success: true, Data: { DISyncTasks: [] } };
  const name = p.DatasourceName;
  const { items } = await deps.store.listTaskFiles(project.id, { fileTypes: [REALTIME_FILE_TYPE] }, 0, MAX_TASKS_SCANNED);
  const refs = items.flatMap((file) => {
    const defs = [file.content, file.deployedContent].flatMap((text) => definition(text));
    const hit = defs.find((d) => (refType === 'from' ? d.reader.datasource : d.writer.datasource) === name);
    return hit ? [{
      NodeId: file.id, NodeName: file.name, TaskType: REALTIME_TASK_TYPE,
      DiSourceDatasource: JSON.stringify([hit.reader.datasource]), DiDestinationDatasource: JSON.stringify([hit.writer.datasource]),
    }] : [];
  });
  return { Success: true, Data: { DISyncTasks: refs.slice(offset, offset + pageSize) } };
};

function definition(text: string | null): RealtimeTaskDefinition[] {
  if (!text) return [];
  try { return [parseRealtimeTask(text)]; } catch { return []; }
}
