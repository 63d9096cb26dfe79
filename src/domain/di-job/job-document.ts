/**
 * A DI job as the 2024-05-18 API describes it (spec/dataworks-openapi.json CreateDIJob, GetDIJob;
 * README, "The 2024-05-18 DI Job API"), validated and in canonical form: enum values in their
 * documented spelling, nested JSON-string fields (`ChannelSettings`, `RuleExpression`) kept as the
 * strings the API returns. This is what the catalog stores per job and GetDIJob renders.
 */
import type { JobType, MigrationType } from './job-types.ts';

export interface DataSourceSetting {
  DataSourceName: string;
  DataSourceProperties?: { Encoding?: string; Timezone?: string };
}

export interface SelectionRule {
  ObjectType: 'Datasource' | 'Database' | 'Schema' | 'Table';
  Action: 'Include' | 'Exclude';
  ExpressionType: 'Exact' | 'Regex';
  Expression: string;
}

export const RULE_ACTION_TYPES = ['Rename', 'AddColumn', 'DefinePrimaryKey', 'HandleDml', 'DefineIncrementalCondition'] as const;
export type RuleActionType = (typeof RULE_ACTION_TYPES)[number];
export const RULE_TARGET_TYPES = ['Table', 'Schema', 'Database'] as const;
export type RuleTargetType = (typeof RULE_TARGET_TYPES)[number];

export interface RuleRef { RuleName: string; RuleActionType: RuleActionType; RuleTargetType: RuleTargetType }
export interface TransformationRule extends RuleRef { RuleExpression: string }

export interface TableMapping { SourceObjectSelectionRules: SelectionRule[]; TransformationRules: RuleRef[] }

export interface ResourceSetting { RequestedCu?: number; ResourceGroupIdentifier?: string }
export interface ResourceSettings {
  OfflineResourceSettings?: ResourceSetting;
  RealtimeResourceSettings?: ResourceSetting;
  ScheduleResourceSettings?: ResourceSetting;
}

export interface JobSettings {
  ChannelSettings?: string;
  ColumnDataTypeSettings?: { SourceDataType: string; DestinationDataType: string }[];
  CycleScheduleSettings?: { CycleMigrationType?: string; ScheduleParameters?: string };
  DdlHandlingSettings?: { Type: string; Action: string }[];
  RuntimeSettings?: { Name: string; Value: string }[];
}

export interface JobDocument {
  Name: string;
  Description: string;
  Owner: string;
  JobType: JobType;
  MigrationType: MigrationType;
  SourceDataSourceType: string;
  DestinationDataSourceType: string;
  SourceDataSourceSettings: DataSourceSetting[];
  DestinationDataSourceSettings: DataSourceSetting[];
  ResourceSettings: ResourceSettings;
  JobSettings: JobSettings;
  TableMappings: TableMapping[];
  TransformationRules: TransformationRule[];
}

/** A bad value in a job's definition: `path` names the parameter and the place inside it. */
export class JobInputError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path} ${reason}`);
  }
}
