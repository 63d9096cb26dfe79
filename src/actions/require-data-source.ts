/**
 * Looks a data source up by id and checks the caller may use its workspace. An unknown id and
 * another workspace's id answer alike, so callers cannot learn which ids exist or who owns them.
 */
import { dataSourceNotFound } from '../protocol/errors.ts';
import type { ActionContext } from '../protocol/action-registry.ts';
import type { DataSourceRecord } from '../store/catalog-store.ts';
import type { ActionDeps } from './action-deps.ts';
import { canAccessProject } from './access.ts';

export async function requireDataSource(deps: ActionDeps, ctx: ActionContext, id: number): Promise<DataSourceRecord> {
  const ds = await deps.store.getDataSource(id);
  if (!ds || !(await canAccessProject(deps, ctx.principalId, ds.projectId))) throw dataSourceNotFound(id);
  return ds;
}
