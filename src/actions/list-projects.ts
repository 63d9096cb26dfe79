/** ListProjects (2020-05-18): the workspaces the caller can access, optionally filtered by tags, paged. */
import type { Action } from './action-handler.ts';
import type { ActionDeps } from './action-deps.ts';
import { paging } from './access.ts';
import { projectView } from './project-view.ts';

export const listProjects: Action<'2020-05-18', 'ListProjects'> = async (deps, ctx) => {
  const { pageNumber, pageSize, offset } = paging(ctx.params, 10, 100);
  const principal = await deps.store.getPrincipal(ctx.principalId);
  const visibleTo = principal?.isAdmin ? null : ctx.principalId;
  const tags = ctx.params.Tags;
  let total: number;
  let projects;
  if (tags?.length) {
    // Tags live in a JSON column: filter the caller's workspaces, then page the matches.
    const all = (await deps.store.listProjects(visibleTo, 0, Number.MAX_SAFE_INTEGER)).items
      .filter((p) => tags.every((t) => p.tags.some((pt) => pt.Key === t.Key && (t.Value === undefined || pt.Value === t.Value))));
    total = all.length;
    projects = all.slice(offset, offset + pageSize);
  } else {
    const page = await deps.store.listProjects(visibleTo, offset, pageSize);
    total = page.total;
    projects = page.items;
  }
  return { PageResult: { PageNumber: pageNumber, PageSize: pageSize, TotalCount: total, ProjectList: projects.map(projectView) } };
};
