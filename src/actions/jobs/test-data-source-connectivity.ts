/**
 * TestDataSourceConnectivity (2024-05-18): ConnectState with one DetailLogs entry per step
 * (src/runtime/connectivity/probe-data-source.ts). ResourceGroupId names where the test would
 * run in the cloud; self-hosted, the engine itself is the resource group, so any non-empty value
 * is accepted.
 */
import type { ActionContext } from '../../protocol/action-registry.ts';
import { ApiError, paramInvalid } from '../../protocol/errors.ts';
import type { DataSourceRecord } from '../../store/catalog-store.ts';
import { endpointOf } from '../../domain/data-source-content.ts';
import { protocolOfDataSourceType } from '../../domain/di-job/job-types.ts';
import type { DbEndpoint } from '../../engine/endpoint.ts';
import { probeDataSource, type ProbeResult } from '../../runtime/connectivity/probe-data-source.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireDataSource } from '../require-data-source.ts';

export async function testDataSourceConnectivity(deps: ActionDeps, ctx: ActionContext) {
  const p = ctx.params;
  if (String(p.ResourceGroupId ?? '').trim() === '') throw paramInvalid('ResourceGroupId', 'must not be empty');
  const ds = await requireDataSource(deps, ctx, p.DataSourceId as number);
  if (ds.projectId !== p.ProjectId) throw new ApiError('Invalid.DataSource.NotExists', 404, `the data source ${ds.id} does not exist in workspace ${p.ProjectId}`);
  const r = await probe(ds);
  return { Connectivity: { ConnectState: r.state, ConnectMessage: r.message, DetailLogs: r.steps } };
}

export function probe(ds: DataSourceRecord): Promise<ProbeResult> {
  const kind = protocolOfDataSourceType(ds.dataSourceType);
  let endpoint: DbEndpoint | string;
  try {
    const e = endpointOf(ds.content);
    endpoint = { host: e.host, port: e.port, database: e.database, user: e.user, password: e.password };
  } catch (err) {
    endpoint = (err as Error).message;
  }
  return probeDataSource(kind, endpoint);
}
