/** DeleteDataSource (2024-05-18): refused while a task or job still uses the data source, like the 2020 operation. */
import type { ActionContext } from '../../protocol/action-registry.ts';
import { ApiError } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireDataSource } from '../require-data-source.ts';

export async function deleteDataSource2024(deps: ActionDeps, ctx: ActionContext) {
  const ds = await requireDataSource(deps, ctx, ctx.params.Id as number);
  const users = await deps.store.countTaskFilesReferencing(ds.projectId, ds.name);
  if (users > 0) throw new ApiError('Invalid.DataSource.InUse', 400, `the data source ${ds.name} is used by ${users} task(s) or job(s); change or delete them first`);
  await deps.store.deleteDataSource(ds.id);
  return { Success: true };
}
