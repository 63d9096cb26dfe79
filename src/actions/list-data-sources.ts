/** ListDataSources (2020-05-18): paged, filtered; Content is shown without its password. */
import type { Action } from './action-handler.ts';
import { redactContent } from '../domain/data-source-content.ts';
import type { ActionDeps } from './action-deps.ts';
import { gmtString, paging, requireProject } from './access.ts';

export const listDataSources: Action<'2020-05-18', 'ListDataSources'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId);
  // SDK: PageSize "Default value: 10. Maximum value: 100".
  const { pageNumber, pageSize, offset } = paging(p, 10, 100);
  const page = await deps.store.listDataSources(project.id, {
    name: p.Name, dataSourceType: p.DataSourceType,
    // SubType "takes effect only when DataSourceType is rds" (SDK), and no rds type is served.
    subType: p.DataSourceType === 'rds' ? p.SubType : undefined, envType: p.EnvType, status: p.Status,
  }, offset, pageSize);
  return {
    Success: true, HttpStatusCode: 200,
    Data: {
      PageNumber: pageNumber, PageSize: pageSize, TotalCount: page.total,
      DataSources: page.items.map((d) => ({
        Id: d.id, Name: d.name, DataSourceType: d.dataSourceType, SubType: d.dataSourceType === 'rds' ? d.subType : '', EnvType: d.envType,
        Description: d.description, Content: JSON.stringify(redactContent(d.content)),
        Status: d.status === 'ENABLED' ? 1 : 2, // SDK: 1 accessible, 2 inaccessible ConnectStatus: 1, ProjectId: d.projectId, Operator: d.ownerPrincipalId,
        Shared: false, DefaultEngine: false, Sequence: d.id, GmtCreate: gmtString(d.createdAt), GmtModified: gmtString(d.modifiedAt),
      })),
    },
  };
};
