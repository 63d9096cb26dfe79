/**
 * CreateDIJob (2024-05-18): a real-time task file of the workspace that is the job (one id space:
 * the job Id is the FileId), created deployed (2024 has no deploy step), status Initialized
 * (README, "The 2024-05-18 DI Job API"). Bad input is a 400 naming the parameter and the path
 * inside it; nothing is stored unless everything checks out.
 */
import type { Action } from '../action-handler.ts';
import { paramInvalid, paramMissing } from '../../protocol/errors.ts';
import { parseCreateJob } from '../../domain/di-job/parse-job.ts';
import { REALTIME_FILE_TYPE, REALTIME_TASK_TYPE } from '../../domain/task-status.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireProject } from '../access.ts';
import { asParamError } from './load-job.ts';
import { resolveJob } from './resolve-job.ts';

const JOB_FOLDER = 'Data Integration';

export const createDIJob: Action<'2024-05-18', 'CreateDIJob'> = async (deps, ctx) => {
  const p = ctx.params;
  if (p.ProjectId === undefined) throw paramMissing('ProjectId');
  const project = await requireProject(deps, ctx, p.ProjectId);
  let doc;
  try { doc = parseCreateJob(p, ctx.principalId); } catch (err) { throw asParamError(err); }
  if (await deps.store.findTaskFileByName(project.id, doc.Name)) {
    throw paramInvalid(p.Name !== undefined ? 'Name' : 'JobName', `a job or file named ${doc.Name} already exists in workspace ${project.id}`);
  }
  const { content } = await resolveJob(deps, project.id, doc);
  const file = await deps.store.createTaskFile({
    projectId: project.id, name: doc.Name, fileType: REALTIME_FILE_TYPE, taskType: REALTIME_TASK_TYPE,
    folderPath: JOB_FOLDER, content, ownerPrincipalId: ctx.principalId,
  });
  try {
    await deps.store.setDeployed(file.id, content, file.version);
    await deps.store.putDIJob({ fileId: file.id, document: JSON.stringify(doc), fileSpec: fileSpecOf(p), fileVersion: file.version });
  } catch (err) {
    await deps.store.deleteTaskFile(file.id).catch(() => undefined);
    throw err;
  }
  return { Id: file.id, DIJobId: file.id };
};

export function fileSpecOf(p: { FileSpec?: string }): string | null {
  return p.FileSpec !== undefined && p.FileSpec.trim() !== '' ? p.FileSpec : null;
}
