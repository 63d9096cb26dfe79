/**
 * TestNetworkConnection (2020-05-18): the checks of TestDataSourceConnectivity collapsed to
 * `TaskList.ConnectStatus` (README, "The 2024-05-18 DI Job API"). EnvType is "0" (development) or "1"
 * (production); an unknown data source is not an error of the call (an UNSURE point): it answers
 * ConnectStatus false saying so.
 */
import type { Action } from '../action-handler.ts';
import { paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireProject } from '../access.ts';
import { probe } from './test-data-source-connectivity.ts';

export const testNetworkConnection: Action<'2020-05-18', 'TestNetworkConnection'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId);
  const env = p.EnvType;
  if (env !== '0' && env !== '1') throw paramInvalid('EnvType', 'must be 0 (development) or 1 (production)');
  if (p.ResourceGroup.trim() === '') throw paramInvalid('ResourceGroup', 'must not be empty');
  const name = p.DatasourceName;
  const found = (await deps.store.listDataSources(project.id, { name, envType: Number(env) }, 0, 100)).items.find((d) => d.name === name);
  if (!found) return { Success: true, TaskList: { ConnectStatus: false, ConnectMessage: `datasource ${name} does not exist in env ${env}` } };
  const r = await probe(found);
  return { Success: true, TaskList: { ConnectStatus: r.state === 'Connectable', ConnectMessage: r.message } };
};
