/**
 * TestDataSourceConnectivity (2024-05-18): ConnectState with one DetailLogs entry per step
 * (src/runtime/connectivity/probe-data-source.ts). ResourceGroupId names where the test would
 * run in the cloud; self-hosted, the engine itself is the resource group, so any non-empty value
 * is accepted.
 */
import type { Action } from '../action-handler.ts';
import { dataSourceNotFound, paramInvalid } from '../../protocol/errors.ts';
import type { DataSourceRecord } from '../../store/catalog-store.ts';
import { endpointOf } from '../../domain/data-source-content.ts';
import { protocolOfDataSourceType } from '../../domain/di-job/job-types.ts';
import type { DbEndpoint } from '../../engine/endpoint.ts';
import { probeDataSource, type ProbeResult } from '../../runtime/connectivity/probe-data-source.ts';
import type { ActionDeps } from '../action-deps.ts';
import { requireDataSource } from '../require-data-source.ts';

export const testDataSourceConnectivity: Action<'2024-05-18', 'TestDataSourceConnectivity'> = async (deps, ctx) => {
  const p = ctx.params;
  if (p.ResourceGroupId.trim() === '') throw paramInvalid('ResourceGroupId', 'must not be empty');
  const ds = await requireDataSource(deps, ctx, p.DataSourceId);
  if (ds.projectId !== p.ProjectId) throw dataSourceNotFound(ds.id, p.ProjectId);
  const r = await probe(ds);
  return { Connectivity: { ConnectState: r.state, ConnectMessage: r.message, DetailLogs: r.steps } };
};

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
