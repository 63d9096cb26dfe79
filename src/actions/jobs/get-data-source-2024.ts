/** GetDataSource (2024-05-18): one data source entry by Id, its connection as an object with the password masked. */
import type { Action } from '../action-handler.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireDataSource } from '../require-data-source.ts';
import { dataSourceDetail } from './data-source-view.ts';

export const getDataSource2024: Action<'2024-05-18', 'GetDataSource'> = async (deps, ctx) => {
  const ds = await requireDataSource(deps, ctx, ctx.params.Id);
  return { DataSource: dataSourceDetail(ds, await deps.store.installationId()) };
};
