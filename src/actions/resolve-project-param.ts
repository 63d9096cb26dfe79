/** ListFiles and GetFile name their workspace by ProjectId or ProjectIdentifier. */
import { paramInvalid } from '../protocol/errors.ts';
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ProjectRecord } from '../store/catalog-store.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireProject } from './access.ts';

export async function resolveProjectParam(deps: ActionDeps, ctx: ActionContext<{ ProjectId?: number; ProjectIdentifier?: string }>): Promise<ProjectRecord> {
  const id = ctx.params.ProjectId;
  if (id !== undefined) return requireProject(deps, ctx, id);
  const identifier = ctx.params.ProjectIdentifier;
  if (identifier === undefined) throw paramInvalid('ProjectId', 'ProjectId or ProjectIdentifier is required');
  return requireProject(deps, ctx, (await deps.store.findProjectByIdentifier(identifier))?.id ?? -1);
}
