/**
 * CreateDataSource (2024-05-18): one environment (ConnectionProperties.envType) of a data source,
 * stored in the same catalog as the 2020 data sources (visible to both versions). A name may hold
 * a Dev and a Prod entry; the same name twice in one environment is a 400.
 */
import type { Action } from '../action-handler.ts';
import { paramInvalid } from '../../protocol/errors.ts';
import { DATA_SOURCE_PROTOCOLS } from '../../domain/di-job/job-types.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireProject } from '../access.ts';
import { DATA_SOURCE_NAME, canonicalOf, connectionMode } from './data-source-2024-params.ts';

export const createDataSource2024: Action<'2024-05-18', 'CreateDataSource'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId);
  const name = p.Name;
  if (!DATA_SOURCE_NAME.test(name)) throw paramInvalid('Name', 'must start with a letter and hold up to 255 letters, digits or underscores');
  const type = p.Type.toLowerCase();
  if (!Object.hasOwn(DATA_SOURCE_PROTOCOLS, type)) {
    throw paramInvalid('Type', `${JSON.stringify(p.Type)} is not a type this engine can connect to; supported: ${Object.keys(DATA_SOURCE_PROTOCOLS).join(', ')}`);
  }
  connectionMode(p.ConnectionPropertiesMode);
  const description = p.Description ?? '';
  if (description.length > 3000) throw paramInvalid('Description', 'is longer than 3000 characters');
  const { envType, content } = canonicalOf(type, p.ConnectionProperties);
  const existing = await deps.store.listDataSources(project.id, { name, envType }, 0, 100);
  if (existing.items.some((d) => d.name === name)) {
    throw paramInvalid('Name', `a data source named ${name} already exists in workspace ${project.id} for envType ${envType === 1 ? 'Prod' : 'Dev'}`);
  }
  const ds = await deps.store.createDataSource({
    projectId: project.id, name, dataSourceType: type, subType: type, envType, description, content,
    status: 'ENABLED', ownerPrincipalId: ctx.principalId,
  });
  return { Id: ds.id };
};
