/**
 * UpdateDataSource (2024-05-18): replaces the connection of one data source entry (ProjectId must
 * be its workspace). A password sent back masked ("***") or left out keeps the stored one.
 */
import type { Action } from '../action-handler.ts';
import { dataSourceNotFound, paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireDataSource } from '../require-data-source.ts';
import { canonicalOf, connectionMode } from './data-source-2024-params.ts';

export const updateDataSource2024: Action<'2024-05-18', 'UpdateDataSource'> = async (deps, ctx) => {
  const p = ctx.params;
  const ds = await requireDataSource(deps, ctx, p.Id);
  if (ds.projectId !== p.ProjectId) throw dataSourceNotFound(ds.id, p.ProjectId);
  connectionMode(p.ConnectionPropertiesMode);
  if (p.Description !== undefined && p.Description.length > 3000) throw paramInvalid('Description', 'is longer than 3000 characters');
  const { envType, content } = canonicalOf(ds.dataSourceType, p.ConnectionProperties, ds.content);
  if (envType !== ds.envType) {
    const clash = await deps.store.listDataSources(ds.projectId, { name: ds.name, envType }, 0, 100);
    if (clash.items.some((d) => d.name === ds.name)) {
      throw paramInvalid('ConnectionProperties.envType', `data source ${ds.name} already has an entry for envType ${envType === 1 ? 'Prod' : 'Dev'}`);
    }
  }
  await deps.store.updateDataSource(ds.id, { content, envType, ...(p.Description !== undefined ? { description: p.Description } : {}) });
  return { Success: true };
};
