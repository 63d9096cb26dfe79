/** GetProject (2020-05-18): by ProjectId or ProjectIdentifier. */
import { paramInvalid } from '../protocol/errors.ts';
import type { Action } from './action-handler.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireProject } from './access.ts';
import { projectView } from './project-view.ts';

export const getProject: Action<'2020-05-18', 'GetProject'> = async (deps, ctx) => {
  let projectId = ctx.params.ProjectId;
  if (projectId === undefined) {
    const identifier = ctx.params.ProjectIdentifier;
    if (identifier === undefined) throw paramInvalid('ProjectId', 'ProjectId or ProjectIdentifier is required');
    projectId = (await deps.store.findProjectByIdentifier(identifier))?.id ?? -1;
  }
  const project = await requireProject(deps, ctx, projectId);
  return { Success: true, HttpStatusCode: 200, Data: projectView(project) };
};
