/** DeleteDataSource (2024-05-18): refused while a task or job still uses the data source, like the 2020 operation. */
import type { Action } from '../action-handler.ts';
import { dataSourceInUse } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireDataSource } from '../require-data-source.ts';

export const deleteDataSource2024: Action<'2024-05-18', 'DeleteDataSource'> = async (deps, ctx) => {
  const ds = await requireDataSource(deps, ctx, ctx.params.Id);
  const users = await deps.store.countTaskFilesReferencing(ds.projectId, ds.name);
  if (users > 0) throw dataSourceInUse(ds.name, `${users} task(s) or job(s)`);
  await deps.store.deleteDataSource(ds.id);
  return { Success: true };
};
