/**
 * The 2024 face of a task made through the 2020 API (README, "The 2024-05-18 DI Job API"): the job
 * document ListDIJobs and GetDIJob show for it, derived from its TaskContent. Each table becomes
 * one TableMappings element of Exact rules (database/schema, then table); a writer schema becomes
 * a Rename rule on Schema. JobType is SingleTableRealtimeMigration for one table.
 */
import type { DIJobRecord, TaskFileRecord } from '../../store/catalog-store.ts';
import { parseRealtimeTask } from '../task-content.ts';
import type { JobDocument, TableMapping, TransformationRule } from './job-document.ts';

const TYPE_NAMES = { mysql: 'MySQL', postgresql: 'PostgreSQL' } as const;

/** The stored job document while it is current for the file: no 2020 update came after it (store.putDIJob fileVersion). */
export function currentJobOf(file: TaskFileRecord, row: DIJobRecord | undefined): JobDocument | undefined {
  return row && row.fileVersion === file.version ? JSON.parse(row.document) as JobDocument : undefined;
}

export function jobOfTask(file: TaskFileRecord): JobDocument {
  const text = file.deployedContent ?? file.content;
  let def;
  try { def = parseRealtimeTask(text); } catch { def = undefined; }
  const base: JobDocument = {
    Name: file.name, Description: '', Owner: file.ownerPrincipalId,
    JobType: 'DatabaseRealtimeMigration', MigrationType: 'RealtimeIncremental',
    SourceDataSourceType: '', DestinationDataSourceType: '',
    SourceDataSourceSettings: [], DestinationDataSourceSettings: [],
    ResourceSettings: {}, JobSettings: {}, TableMappings: [], TransformationRules: [],
  };
  if (!def) return base;
  const rules: TransformationRule[] = def.writer.schema
    ? [{ RuleName: 'writer_schema', RuleActionType: 'Rename', RuleTargetType: 'Schema', RuleExpression: JSON.stringify({ expression: def.writer.schema }) }]
    : [];
  // A MySQL table named without its database is in the data source's database: the selection's default.
  const mappings: TableMapping[] = def.reader.tables.map((t) => ({
    SourceObjectSelectionRules: [
      ...(t.schema === null ? [] : [{ ObjectType: def.reader.kind === 'mysql' ? 'Database' : 'Schema', Action: 'Include', ExpressionType: 'Exact', Expression: t.schema } as const]),
      { ObjectType: 'Table', Action: 'Include', ExpressionType: 'Exact', Expression: t.table },
    ],
    TransformationRules: rules.map(({ RuleName, RuleActionType, RuleTargetType }) => ({ RuleName, RuleActionType, RuleTargetType })),
  }));
  return {
    ...base,
    JobType: def.reader.tables.length === 1 ? 'SingleTableRealtimeMigration' : 'DatabaseRealtimeMigration',
    MigrationType: def.initialLoad ? 'FullAndRealtimeIncremental' : 'RealtimeIncremental',
    SourceDataSourceType: TYPE_NAMES[def.reader.kind], DestinationDataSourceType: TYPE_NAMES[def.writer.kind],
    SourceDataSourceSettings: [{ DataSourceName: def.reader.datasource }],
    DestinationDataSourceSettings: [{ DataSourceName: def.writer.datasource }],
    TableMappings: mappings, TransformationRules: rules,
  };
}
