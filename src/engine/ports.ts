/** Picks the source and sink adapters for a task's data source kinds. */
import type { Logger } from '../logger.ts';
import type { ChangeSink } from './change-sink.ts';
import type { ChangeSource, TableRef } from './change-source.ts';
import type { DbEndpoint } from './endpoint.ts';
import type { EngineEvent } from './engine-event.ts';
import { PostgresSource } from './sources/postgres/postgres-source.ts';
import { releasePostgresSource } from './sources/postgres/release-postgres-source.ts';
import { MySqlSource } from './sources/mysql/mysql-source.ts';
import { CheckpointedSink } from './sinks/checkpointed-sink.ts';
import { dialectFor } from './sinks/dialect-for.ts';
import { LanedSink } from './sinks/laned-sink.ts';
import { checkpointOrder } from './sinks/lane-positions.ts';
import type { PreparedTable } from './sinks/sink-dialect.ts';
import { sourcePositionOrder } from './source-position-order.ts';
import type { TargetPools } from './sinks/target-pools.ts';
import type { SourceControlPools } from './sources/postgres/control-pools.ts';
import { PoolReleasingSink } from './sinks/pool-releasing-sink.ts';
import { findSourceTableProblemsAt, type SourceCheckBounds } from './source-table-check.ts';

export type { SourceCheckBounds } from './source-table-check.ts';
export type { SourceCheckOptions } from './sources/postgres/check-source-tables.ts';
import type { SourceCheckOptions } from './sources/postgres/check-source-tables.ts';

/** selects: 2024 jobs pick up new tables it selects while streaming (MySQL: by their CREATE TABLE; PostgreSQL: discoverTables). */
export type SourceSpec =
  | {
    kind: 'postgresql'; endpoint: DbEndpoint; slotName: string; publicationName: string; tables: TableRef[]; resourcesCreated: boolean; selects?: (t: TableRef) => boolean;
    /** The publication was created by a DBA (reader parameter "publication"): the task never creates, alters or drops it. */
    externalPublication?: boolean;
    /** The service's shared control pools (sources/postgres/control-pools.ts); absent: the source opens a control connection of its own. */
    controlPools?: SourceControlPools;
  }
  /** serverId: the replica id the binlog dump registers with; unique per task on one server. controlIdleMs: tests shorten the control connection's idle close. */
  | { kind: 'mysql'; endpoint: DbEndpoint; serverId: number; tables: TableRef[]; resourcesCreated: boolean; selects?: (t: TableRef) => boolean; controlIdleMs?: number };

/**
 * schema: where every table goes (MySQL: the database); null keeps each table's source schema.
 * installationId: the catalog's installation, half of the checkpoint's key in the target
 * (docs/target-checkpoint.md): two installations writing one target never fence each other.
 */
export interface TargetSpec {
  kind: 'postgresql' | 'mysql'; endpoint: DbEndpoint; schema: string | null; installationId: string;
  /** Parallel apply lanes (runtime.realtime.concurrent; docs/target-checkpoint.md "Lanes"); 1 when absent. */
  lanes?: number;
  /** The service's shared target pools (sinks/target-pools.ts); absent: the sink opens connections of its own. */
  pools?: TargetPools;
}

/** What a running pipeline gives its source besides the spec. */
export interface SourceOptions {
  /** Warnings for the task's event log. */
  onEvent?(event: EngineEvent): void;
  /** No message from the server for this long is a stall (the source's default when absent). */
  stallAfterMs?: number;
  /** Rows of a renamed source table go to the renamed target table ('new-name': RENAMETABLE is NORMAL) or the original one. */
  renamedTableTarget?: 'new-name' | 'original-name';
  /** MySQL: tables whose updates and deletes must carry the whole old row (mysql-source.ts); the others carry its key. */
  wholeOldRow?: (t: TableRef) => boolean;
}

export function openPorts(taskId: number, source: SourceSpec, target: TargetSpec, logger: Logger, options: SourceOptions = {}): { source: ChangeSource; sink: ChangeSink } {
  const app = `opendi:task-${taskId}`;
  // In a cluster the endpoints carry `opendi:<node>:<task>`, the one name DBAs see on both sides.
  const sourceName = source.endpoint.connectionName ?? `${app}:source`;
  return {
    source: source.kind === 'postgresql'
      ? postgresSource(source, options, sourceName, logger)
      : new MySqlSource({ endpoint: source.endpoint, serverId: source.serverId, tables: source.tables, selects: source.selects, controlIdleMs: source.controlIdleMs, ...options }, sourceName, logger),
    sink: openSink(taskId, target, target.endpoint.connectionName ?? `${app}:target`, logger, source.kind),
  };
}

function postgresSource(source: Extract<SourceSpec, { kind: 'postgresql' }>, options: SourceOptions, name: string, logger: Logger): PostgresSource {
  const { controlPools, ...spec } = source;
  return new PostgresSource({ ...spec, ...options, controlPool: controlPools?.use(source.endpoint), serverPool: controlPools?.useServer(source.endpoint) }, name, logger);
}

/** `sourceKind` orders the positions of a sink with lanes (target.lanes > 1). */
export function openSink(taskId: number, target: TargetSpec, applicationName: string, logger: Logger, sourceKind: SourceSpec['kind'] = 'postgresql'): ChangeSink {
  const owner = { installationId: target.installationId, taskId };
  const lanes = Math.max(1, Math.floor(target.lanes ?? 1));
  const shared = target.pools?.use(target.kind, target.endpoint, lanes);
  const dialect = shared?.dialect ?? dialectFor(target.kind, target.endpoint, applicationName, logger);
  const pool = shared?.pool;
  let sink: ChangeSink;
  if (lanes === 1) {
    sink = new CheckpointedSink(dialect, owner, target.schema, logger, { pool, order: checkpointOrder(sourcePositionOrder(sourceKind)) });
  } else {
    const sinks: CheckpointedSink<unknown, PreparedTable>[] = [];
    const onTouched = (from: number) => (tables: { schema: string; table: string }[]) => sinks.forEach((s, i) => { if (i !== from) s.forget(tables); });
    for (let lane = 0; lane < lanes; lane++) {
      sinks.push(new CheckpointedSink(dialect, owner, target.schema, logger.child({ lane }), { pool, lane: { lane, ddlOutsideTransaction: true, onTouched: onTouched(lane) } }));
    }
    sink = new LanedSink(sinks, checkpointOrder(sourcePositionOrder(sourceKind)), logger);
  }
  return shared ? new PoolReleasingSink(sink, shared.release) : sink;
}

/** Drops what the source keeps for the task (PostgreSQL: slot and publication; MySQL: nothing). */
export async function releaseSource(taskId: number, source: SourceSpec): Promise<void> {
  if (source.kind === 'postgresql') await releasePostgresSource(source, `opendi:task-${taskId}:release`);
}

/**
 * The config check's entry into the engine: one sentence per unusable source table, empty when
 * all can be synced; rejects when the source cannot be reached in the bounds given.
 */
export function checkSourceTables(
  kind: 'postgresql' | 'mysql', endpoint: DbEndpoint, tables: TableRef[], bounds: SourceCheckBounds, options: SourceCheckOptions = {},
): Promise<string[]> {
  return findSourceTableProblemsAt(kind, endpoint, tables, bounds, options);
}
