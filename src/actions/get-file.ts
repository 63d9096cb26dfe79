/** GetFile (2020-05-18): one Data Integration file with its content. */
import { fileNotFound, paramInvalid } from '../protocol/errors.ts';
import type { Action } from './action-handler.ts';
import type { ActionDeps } from './action-deps.ts';
import { fileView } from './file-view.ts';
import { resolveProjectParam } from './resolve-project-param.ts';

export const getFile: Action<'2020-05-18', 'GetFile'> = async (deps, ctx) => {
  const project = await resolveProjectParam(deps, ctx);
  const fileId = ctx.params.FileId ?? ctx.params.NodeId;
  if (fileId === undefined) throw paramInvalid('FileId', 'FileId or NodeId is required');
  const file = await deps.store.getTaskFile(fileId);
  if (!file || file.projectId !== project.id) throw fileNotFound(fileId, project.id);
  return {
    Success: true, HttpStatusCode: 200,
    Data: {
      File: { ...fileView(file, true), DeletedStatus: 'NORMAL' },
      NodeConfiguration: { SchedulerType: 'NORMAL', Stop: false, InputList: [], OutputList: [], InputParameters: [], OutputParameters: [] },
    },
  };
};
