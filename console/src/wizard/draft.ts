/**
 * The job the wizard is building, and the CreateDIJob request it becomes (README "The 2024-05-18
 * DI Job API"; spec/di-api-audit.md section 4.3 for TableMappings and JobSettings). Nobody types
 * JSON: every field comes from a control, and the review step shows the request that will be sent.
 */
export interface SourceChoice { name: string; type: string }

export interface SelectionRule { Action: 'Include' | 'Exclude'; ObjectType: 'Database' | 'Schema' | 'Table'; ExpressionType: 'Exact' | 'Regex'; Expression: string }

export const DDL_TYPES = ['CreateTable', 'DropTable', 'TruncateTable', 'AddColumn', 'DropColumn', 'RenameColumn', 'ModifyColumn'] as const;
export type DdlType = (typeof DDL_TYPES)[number];
export type DdlChoice = 'Default' | 'Normal' | 'Ignore' | 'Critical';

/** The engine's behaviour when a DDL type is left at Default (README "A real-time task, end to end"). */
export const DDL_DEFAULTS: Record<DdlType, string> = {
  CreateTable: 'apply', DropTable: 'skip and warn', TruncateTable: 'apply', AddColumn: 'apply', DropColumn: 'skip and warn', RenameColumn: 'apply', ModifyColumn: 'apply',
};

export interface Draft {
  name: string;
  source: SourceChoice | null;
  target: SourceChoice | null;
  mode: 'pick' | 'rules';
  /** Picked tables as `schema.table` (MySQL: `database.table`). */
  picked: string[];
  rules: SelectionRule[];
  fullLoad: boolean;
  ddl: Record<DdlType, DdlChoice>;
  errorLimit: string;
  startAfter: boolean;
}

export function emptyDraft(): Draft {
  return {
    name: '', source: null, target: null, mode: 'pick', picked: [], rules: [{ Action: 'Include', ObjectType: 'Table', ExpressionType: 'Regex', Expression: '.*' }],
    fullLoad: true, ddl: Object.fromEntries(DDL_TYPES.map((t) => [t, 'Default'])) as Record<DdlType, DdlChoice>, errorLimit: '0', startAfter: true,
  };
}

/** The API's endpoint type names for a data source type (the 2024 API names them in CamelCase). */
export function endpointTypeOf(dataSourceType: string): string {
  return dataSourceType.toLowerCase() === 'postgresql' ? 'PostgreSQL' : 'MySQL';
}

export function isMySql(choice: SourceChoice | null): boolean {
  return choice !== null && endpointTypeOf(choice.type) === 'MySQL';
}

/**
 * TableMappings: picked tables become one element per database/schema (its Exact name, then its
 * tables' Exact names, ORed); rules become one element as written.
 */
export function tableMappingsOf(d: Draft): { SourceObjectSelectionRules: SelectionRule[] }[] {
  if (d.mode === 'rules') return [{ SourceObjectSelectionRules: d.rules.filter((r) => r.Expression.trim() !== '') }];
  const level = isMySql(d.source) ? 'Database' : 'Schema';
  const bySchema = new Map<string, string[]>();
  for (const name of d.picked) {
    const dot = name.indexOf('.');
    const schema = name.slice(0, dot);
    bySchema.set(schema, [...(bySchema.get(schema) ?? []), name.slice(dot + 1)]);
  }
  return [...bySchema].map(([schema, tables]) => ({
    SourceObjectSelectionRules: [
      { Action: 'Include', ObjectType: level, ExpressionType: 'Exact', Expression: schema },
      ...tables.map((t): SelectionRule => ({ Action: 'Include', ObjectType: 'Table', ExpressionType: 'Exact', Expression: t })),
    ],
  }));
}

export function createJobParams(d: Draft, projectId: number) {
  const ddl = Object.entries(d.ddl).filter(([, a]) => a !== 'Default').map(([Type, Action]) => ({ Type, Action }));
  return {
    ProjectId: projectId,
    Name: d.name.trim(),
    JobType: 'DatabaseRealtimeMigration',
    MigrationType: d.fullLoad ? 'FullAndRealtimeIncremental' : 'RealtimeIncremental',
    SourceDataSourceType: endpointTypeOf(d.source?.type ?? ''),
    DestinationDataSourceType: endpointTypeOf(d.target?.type ?? ''),
    SourceDataSourceSettings: [{ DataSourceName: d.source?.name ?? '' }],
    DestinationDataSourceSettings: [{ DataSourceName: d.target?.name ?? '' }],
    TableMappings: tableMappingsOf(d),
    ...(ddl.length > 0 ? { JobSettings: { DdlHandlingSettings: ddl } } : {}),
  };
}

/** What stops the wizard from moving past a step, in words; null when the step is complete. */
export function stepProblem(step: number, d: Draft): string | null {
  if (step === 0) {
    if (d.name.trim() === '') return 'Give the job a name.';
    if (!d.source) return 'Choose the source data source.';
    if (!d.target) return 'Choose the target data source.';
    if (d.source.name === d.target.name) return 'The source and the target must be different data sources.';
  }
  if (step === 1) {
    if (d.mode === 'pick' && d.picked.length === 0) return 'Pick at least one table.';
    if (d.mode === 'rules' && !d.rules.some((r) => r.Action === 'Include' && r.Expression.trim() !== '')) return 'Add at least one Include rule.';
  }
  if (step === 2 && !/^\d{1,9}$/.test(d.errorLimit)) return 'Dirty records tolerated must be a whole number of 0 or more.';
  return null;
}
