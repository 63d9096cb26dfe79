/** DeleteDataSource (2020-05-18): refused while a task file still refers to the source. */
import { dataSourceInUse } from '../protocol/errors.ts';
import type { Action } from './action-handler.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireDataSource } from './require-data-source.ts';

export const deleteDataSource: Action<'2020-05-18', 'DeleteDataSource'> = async (deps, ctx) => {
  const ds = await requireDataSource(deps, ctx, ctx.params.DataSourceId);
  const users = await deps.store.countTaskFilesReferencing(ds.projectId, ds.name);
  if (users > 0) throw dataSourceInUse(ds.name, `${users} task(s)`);
  await deps.store.deleteDataSource(ds.id);
  return { Success: true, HttpStatusCode: '200', Data: true };
};
