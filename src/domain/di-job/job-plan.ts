/**
 * A stored job compiled for the engine: which tables it selects and each one's rules
 * (table-selection.ts, table-mappings.ts) and what JobSettings mean to the engine (job-settings.ts).
 */
import type { EngineKind } from '../jdbc-url.ts';
import { DEFAULT_START_PARAM } from '../start-param.ts';
import type { TableRules } from '../../engine/transform/table-rules.ts';
import type { JobDocument } from './job-document.ts';
import { DESTINATION_TYPES, SOURCE_TYPES, findEndpointType } from './job-types.ts';
import { engineSettings, type JobEngineSettings } from './job-settings.ts';
import { mappingRules } from './table-mappings.ts';
import { compileSelection, type SourceTable } from './table-selection.ts';
import { parseTransformationRules } from './transformation-rules.ts';

export interface JobPlan {
  sourceDataSource: string;
  sourceProtocol: EngineKind;
  destinationDataSource: string;
  destinationProtocol: EngineKind;
  /** FullAndRealtimeIncremental: existing rows are copied before streaming. */
  initialLoad: boolean;
  singleTable: boolean;
  /** The rules of a selected table; undefined when the job does not select it. */
  select(t: SourceTable): TableRules | undefined;
  engine: JobEngineSettings;
}

/** `sourceDatabase`: the source data source's database (the default scope of the selection). */
export function compileJobPlan(doc: JobDocument, sourceDatabase: string): JobPlan {
  const sourceProtocol = findEndpointType(SOURCE_TYPES, doc.SourceDataSourceType)!.protocol;
  const destinationProtocol = findEndpointType(DESTINATION_TYPES, doc.DestinationDataSourceType)!.protocol;
  const { parsed } = parseTransformationRules(doc.TransformationRules, 'TransformationRules', destinationProtocol);
  const rules = mappingRules(doc.TableMappings, parsed, 'TableMappings', destinationProtocol);
  const sourceDataSource = doc.SourceDataSourceSettings[0].DataSourceName;
  const selector = compileSelection(doc.TableMappings, { dataSourceName: sourceDataSource, database: sourceDatabase, protocol: sourceProtocol });
  return {
    sourceDataSource, sourceProtocol,
    destinationDataSource: doc.DestinationDataSourceSettings[0].DataSourceName, destinationProtocol,
    initialLoad: doc.MigrationType === 'FullAndRealtimeIncremental',
    singleTable: doc.JobType === 'SingleTableRealtimeMigration',
    select: (t) => { const i = selector(t); return i < 0 ? undefined : rules[i]; },
    engine: engineSettings(doc.JobSettings, DEFAULT_START_PARAM.failoverLimit),
  };
}
