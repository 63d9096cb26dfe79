/**
 * The enumerations of the 2024-05-18 DI Job API (spec/dataworks-openapi.json, CreateDIJob) and
 * which of them this engine serves (README, "The 2024-05-18 DI Job API"): real-time jobs only, between
 * databases whose wire protocol the engine speaks. A cloud type the engine cannot reach is refused
 * at Create, never accepted as a job that fails later.
 */
import type { EngineKind } from '../jdbc-url.ts';

export const REALTIME_JOB_TYPES = ['DatabaseRealtimeMigration', 'SingleTableRealtimeMigration'] as const;
export type JobType = (typeof REALTIME_JOB_TYPES)[number];
export const BATCH_JOB_TYPES = ['DatabaseOfflineMigration'] as const;

export const REALTIME_MIGRATION_TYPES = ['FullAndRealtimeIncremental', 'RealtimeIncremental'] as const;
export type MigrationType = (typeof REALTIME_MIGRATION_TYPES)[number];
export const BATCH_MIGRATION_TYPES = ['Full', 'OfflineIncremental', 'FullAndOfflineIncremental'] as const;

/** A job endpoint type: the protocol the engine speaks to it and the data source types that may back it. */
export interface EndpointType { name: string; protocol: EngineKind; dataSourceTypes: readonly string[] }

/** MariaDB is an OpenDI extension (a MySQL data source). */
export const SOURCE_TYPES: readonly EndpointType[] = [
  { name: 'MySQL', protocol: 'mysql', dataSourceTypes: ['mysql'] },
  { name: 'MariaDB', protocol: 'mysql', dataSourceTypes: ['mysql'] },
  { name: 'PolarDB', protocol: 'mysql', dataSourceTypes: ['polardb'] },
  { name: 'PostgreSQL', protocol: 'postgresql', dataSourceTypes: ['postgresql'] },
];
/** In the cloud's enum, but no protocol this engine reads. */
export const CLOUD_ONLY_SOURCE_TYPES = ['Kafka', 'LogHub', 'Hologres', 'Oracle', 'OceanBase', 'MongoDB', 'RedShift', 'Hive', 'SQLServer', 'Doris', 'ClickHouse'];

/** MySQL and PostgreSQL are OpenDI extensions of the cloud's destination enum. */
export const DESTINATION_TYPES: readonly EndpointType[] = [
  { name: 'PostgreSQL', protocol: 'postgresql', dataSourceTypes: ['postgresql'] },
  { name: 'MySQL', protocol: 'mysql', dataSourceTypes: ['mysql'] },
  { name: 'Hologres', protocol: 'postgresql', dataSourceTypes: ['hologres'] },
  { name: 'AnalyticDB_For_MySQL', protocol: 'mysql', dataSourceTypes: ['analyticdb_for_mysql'] },
];
export const CLOUD_ONLY_DESTINATION_TYPES = ['OSS-HDFS', 'OSS', 'MaxCompute', 'LogHub', 'StarRocks', 'DataHub', 'Kafka', 'Hive'];

/** Data source types the 2024 data-source operations store, by the protocol the engine speaks to them. */
export const DATA_SOURCE_PROTOCOLS: Readonly<Record<string, EngineKind>> = {
  mysql: 'mysql', polardb: 'mysql', analyticdb_for_mysql: 'mysql', postgresql: 'postgresql', hologres: 'postgresql',
};

export function protocolOfDataSourceType(type: string): EngineKind | undefined {
  return Object.hasOwn(DATA_SOURCE_PROTOCOLS, type) ? DATA_SOURCE_PROTOCOLS[type] : undefined;
}

/** Case-insensitive lookup; the canonical spelling is what the job keeps. */
export function findEndpointType(list: readonly EndpointType[], name: string): EndpointType | undefined {
  return list.find((t) => t.name.toLowerCase() === name.toLowerCase());
}
