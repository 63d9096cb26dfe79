/**
 * UpdateDataSource (2020-05-18). Content replaces the connection settings. A secret sent back as
 * "***" (what ListDataSources shows), or a Content without `password`, keeps the stored value,
 * but only while host, port, database, username and TLS settings stay the same: a data source
 * moved elsewhere needs its password again (content rules in domain/data-source-content.ts).
 */
import { paramInvalid } from '../protocol/errors.ts';
import type { Action } from './action-handler.ts';
import { mergeUpdatedContent } from '../domain/data-source-content.ts';
import { protocolOfDataSourceType } from '../domain/di-job/job-types.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireDataSource } from './require-data-source.ts';
import {
  DATA_SOURCE_STATUSES, duplicateName, nameConflict, parseContentParam, requireAllowedHost, requireValidContent, validateEnvType,
} from './data-source-params.ts';

export const updateDataSource: Action<'2020-05-18', 'UpdateDataSource'> = async (deps, ctx) => {
  const p = ctx.params;
  const ds = await requireDataSource(deps, ctx, p.DataSourceId);
  const patch: Parameters<typeof deps.store.updateDataSource>[1] = {};
  if (p.Content !== undefined) {
    // 2024 types (polardb, hologres, analyticdb_for_mysql) speak the MySQL or PostgreSQL protocol.
    const kind = protocolOfDataSourceType(ds.dataSourceType);
    if (!kind) throw paramInvalid('DataSourceId', `names a ${ds.dataSourceType} data source, which this service cannot connect to`);
    const content = requireValidContent(mergeUpdatedContent(kind, parseContentParam(p.Content), ds.content));
    await requireAllowedHost(deps, content);
    patch.content = content;
  }
  if (p.Description !== undefined) patch.description = p.Description;
  if (p.EnvType !== undefined) patch.envType = validateEnvType(p.EnvType);
  if (p.Status !== undefined) {
    if (!(DATA_SOURCE_STATUSES as readonly unknown[]).includes(p.Status)) throw paramInvalid('Status', `must be one of ${DATA_SOURCE_STATUSES.join(', ')}`);
    patch.status = p.Status;
  }
  const envType = patch.envType ?? ds.envType;
  if (envType !== ds.envType) {
    const other = await deps.store.findDataSourceByName(ds.projectId, ds.name, envType);
    if (other && other.id !== ds.id) throw duplicateName(ds.name, envType);
  }
  try {
    await deps.store.updateDataSource(ds.id, patch);
  } catch (err) {
    throw nameConflict(err, ds.name, envType);
  }
  return { Success: true, HttpStatusCode: '200', Data: true };
};
