/** GetDataSource (2024-05-18): one data source entry by Id, its connection as an object with the password masked. */
import type { ActionContext } from '../../protocol/action-registry.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireDataSource } from '../require-data-source.ts';
import { dataSourceDetail } from './data-source-view.ts';

export async function getDataSource2024(deps: ActionDeps, ctx: ActionContext) {
  const ds = await requireDataSource(deps, ctx, ctx.params.Id as number);
  return { DataSource: dataSourceDetail(ds, await deps.store.installationId()) };
}
