/** DeleteDataSource (2020-05-18): refused while a task file still refers to the source. */
import { ApiError } from '../protocol/errors.ts';
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireDataSource } from './require-data-source.ts';

export async function deleteDataSource(deps: ActionDeps, ctx: ActionContext) {
  const ds = await requireDataSource(deps, ctx, ctx.params.DataSourceId as number);
  const users = await deps.store.countTaskFilesReferencing(ds.projectId, ds.name);
  if (users > 0) {
    throw new ApiError('Invalid.DataSource.InUse', 400, `the data source ${ds.name} is used by ${users} task(s); change or delete them first`);
  }
  await deps.store.deleteDataSource(ds.id);
  return { Success: true, HttpStatusCode: '200', Data: true };
}
