/** GetProject (2020-05-18): by ProjectId or ProjectIdentifier. */
import { paramInvalid } from '../protocol/errors.ts';
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireProject } from './access.ts';
import { projectView } from './project-view.ts';

export async function getProject(deps: ActionDeps, ctx: ActionContext) {
  let projectId = ctx.params.ProjectId as number | undefined;
  if (projectId === undefined) {
    const identifier = ctx.params.ProjectIdentifier as string | undefined;
    if (identifier === undefined) throw paramInvalid('ProjectId', 'ProjectId or ProjectIdentifier is required');
    projectId = (await deps.store.findProjectByIdentifier(identifier))?.id ?? -1;
  }
  const project = await requireProject(deps, ctx, projectId);
  return { Success: true, HttpStatusCode: 200, Data: projectView(project) };
}
