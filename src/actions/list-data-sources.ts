/** ListDataSources (2020-05-18): paged, filtered; Content is shown without its password. */
import type { ActionContext } from '../protocol/action-registry.ts';
import { redactContent } from '../domain/data-source-content.ts';
import type { ActionDeps } from './action-deps.ts';
import { gmtString, paging, requireProject } from './access.ts';

export async function listDataSources(deps: ActionDeps, ctx: ActionContext) {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId as number);
  const { pageNumber, pageSize, offset } = paging(p, 20, 100);
  const page = await deps.store.listDataSources(project.id, {
    name: p.Name as string | undefined, dataSourceType: p.DataSourceType as string | undefined,
    subType: p.SubType as string | undefined, envType: p.EnvType as number | undefined, status: p.Status as string | undefined,
  }, offset, pageSize);
  return {
    Success: true, HttpStatusCode: 200,
    Data: {
      PageNumber: pageNumber, PageSize: pageSize, TotalCount: page.total,
      DataSources: page.items.map((d) => ({
        Id: d.id, Name: d.name, DataSourceType: d.dataSourceType, SubType: d.subType, EnvType: d.envType,
        Description: d.description, Content: JSON.stringify(redactContent(d.content)),
        Status: d.status === 'ENABLED' ? 1 : 0, ConnectStatus: 1, ProjectId: d.projectId, Operator: d.ownerPrincipalId,
        Shared: false, DefaultEngine: false, Sequence: d.id, GmtCreate: gmtString(d.createdAt), GmtModified: gmtString(d.modifiedAt),
      })),
    },
  };
}
