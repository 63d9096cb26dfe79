/**
 * A data source as the 2024-05-18 operations show it (GetDataSource, ListDataSources; the SDK
 * models' JSON types): ConnectionProperties an object with the password masked, times in epoch ms.
 * QualifiedName (an UNSURE point: the cloud's is tenant:region:type:instance:database) is
 * `<installation id>:local:<type>:<host>:<port>:<database>`.
 */
import type { DataSourceRecord } from '../../store/catalog-store.ts';
import { propertiesFromCanonical } from '../../domain/di-job/connection-properties.ts';

export function dataSourceEntry(ds: DataSourceRecord, installationId: string) {
  const props = propertiesFromCanonical(ds.content, ds.envType);
  const address = (props.address as { host: string; port: number }[] | undefined)?.[0];
  return {
    Id: ds.id,
    ConnectionProperties: props,
    ConnectionPropertiesMode: 'UrlMode',
    QualifiedName: `${installationId}:local:${ds.dataSourceType}:${address?.host ?? ''}:${address?.port ?? ''}:${props.database ?? ''}`,
    CreateTime: ds.createdAt,
    ModifyTime: ds.modifiedAt,
    CreateUser: ds.ownerPrincipalId,
    ModifyUser: ds.ownerPrincipalId,
    Description: ds.description,
  };
}

export function dataSourceDetail(ds: DataSourceRecord, installationId: string) {
  return { ...dataSourceEntry(ds, installationId), Name: ds.name, Type: ds.dataSourceType, ProjectId: ds.projectId };
}
