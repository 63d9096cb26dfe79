/**
 * A job's data sources by name, with the checks every use makes: the data source exists in the
 * job's workspace (production environment first, as for 2020 tasks), its real type is one the
 * job's endpoint type allows (src/domain/di-job/job-types.ts), and its connection is usable.
 */
import type { CatalogStore, DataSourceRecord } from '../../store/catalog-store.ts';
import type { DbEndpoint } from '../../engine/endpoint.ts';
import type { EngineKind } from '../../domain/jdbc-url.ts';
import { endpointOf } from '../../domain/data-source-content.ts';
import type { EndpointType } from '../../domain/di-job/job-types.ts';

export interface JobDataSource { record: DataSourceRecord; endpoint: DbEndpoint; protocol: EngineKind }

/** The data source, or a sentence saying why it cannot serve (unknown, wrong type, broken). */
export async function findJobDataSource(store: CatalogStore, projectId: number, name: string, type: EndpointType, role: string): Promise<JobDataSource | string> {
  const ds = await store.findDataSourceByName(projectId, name);
  if (!ds) return `data source ${name} does not exist in workspace ${projectId}`;
  if (!type.dataSourceTypes.includes(ds.dataSourceType)) {
    return `data source ${name} is of type ${ds.dataSourceType}, but the job's ${role} type ${type.name} needs a ${type.dataSourceTypes.join(' or ')} data source`;
  }
  let e;
  try {
    e = endpointOf(ds.content);
  } catch (err) {
    return `data source ${name} has an unusable connection: ${(err as Error).message}`;
  }
  if (e.kind !== type.protocol) return `data source ${name} connects with the ${e.kind} protocol, but a ${type.name} ${role} speaks ${type.protocol}`;
  return { record: ds, protocol: e.kind, endpoint: { host: e.host, port: e.port, database: e.database, user: e.user, password: e.password } };
}
