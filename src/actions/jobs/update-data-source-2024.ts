/**
 * UpdateDataSource (2024-05-18): replaces the connection of one data source entry (ProjectId must
 * be its workspace). A password sent back masked ("***") or left out keeps the stored one.
 */
import type { ActionContext } from '../../protocol/action-registry.ts';
import { ApiError, paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireDataSource } from '../require-data-source.ts';
import { canonicalOf, connectionMode } from './data-source-2024-params.ts';

export async function updateDataSource2024(deps: ActionDeps, ctx: ActionContext) {
  const p = ctx.params;
  const ds = await requireDataSource(deps, ctx, p.Id as number);
  if (ds.projectId !== p.ProjectId) throw new ApiError('Invalid.DataSource.NotExists', 404, `the data source ${ds.id} does not exist in workspace ${p.ProjectId}`);
  connectionMode(p.ConnectionPropertiesMode);
  if (typeof p.Description === 'string' && p.Description.length > 3000) throw paramInvalid('Description', 'is longer than 3000 characters');
  const { envType, content } = canonicalOf(ds.dataSourceType, p.ConnectionProperties, ds.content);
  if (envType !== ds.envType) {
    const clash = await deps.store.listDataSources(ds.projectId, { name: ds.name, envType }, 0, 100);
    if (clash.items.some((d) => d.name === ds.name)) {
      throw paramInvalid('ConnectionProperties.envType', `data source ${ds.name} already has an entry for envType ${envType === 1 ? 'Prod' : 'Dev'}`);
    }
  }
  await deps.store.updateDataSource(ds.id, { content, envType, ...(p.Description !== undefined ? { description: p.Description as string } : {}) });
  return { Success: true };
}
