/** Looks a data source up by id and checks the caller may use its workspace. */
import { ApiError } from '../protocol/errors.ts';
import type { ActionContext } from '../protocol/action-registry.ts';
import type { DataSourceRecord } from '../store/catalog-store.ts';
import type { ActionDeps } from './action-deps.ts';
import { canAccessProject } from './access.ts';
import { forbiddenAccess } from '../protocol/errors.ts';

export async function requireDataSource(deps: ActionDeps, ctx: ActionContext, id: number): Promise<DataSourceRecord> {
  const ds = await deps.store.getDataSource(id);
  if (!ds) throw new ApiError('Invalid.DataSource.NotExists', 404, `the data source ${id} does not exist`);
  if (!(await canAccessProject(deps, ctx.principalId, ds.projectId))) throw forbiddenAccess(ds.projectId);
  return ds;
}
