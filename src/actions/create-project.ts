/** CreateProject (2020-05-18): creates a workspace owned by the caller; Data is the new ProjectId. */
import { paramInvalid } from '../protocol/errors.ts';
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{2,27}$/;

export async function createProject(deps: ActionDeps, ctx: ActionContext) {
  const p = ctx.params;
  const identifier = p.ProjectIdentifier as string;
  if (!IDENTIFIER.test(identifier)) {
    throw paramInvalid('ProjectIdentifier', 'must start with a letter and hold 3-28 letters, digits or underscores');
  }
  const name = (p.ProjectName as string).trim();
  if (name === '' || name.length > 64) throw paramInvalid('ProjectName', 'must be 1-64 characters');
  if (await deps.store.findProjectByIdentifier(identifier)) {
    throw paramInvalid('ProjectIdentifier', `a workspace named ${identifier} already exists`);
  }
  const project = await deps.store.createProject({
    identifier, name,
    description: (p.ProjectDescription as string | undefined) ?? '',
    ownerPrincipalId: ctx.principalId,
    tags: (p.Tags as { Key: string; Value: string }[] | undefined) ?? [],
    disableDevelopment: (p.DisableDevelopment as boolean | undefined) ?? false,
    isAllowDownload: (p.IsAllowDownload as number | undefined) ?? 1,
    projectMode: (p.ProjectMode as number | undefined) ?? 2, // SDK: "2 (default): basic mode"
    resourceGroupId: (p.ResourceManagerResourceGroupId as string | undefined) ?? '',
  });
  return { Success: true, HttpStatusCode: 200, Data: project.id };
}
