/**
 * Where a source table's rows go: the target schema (MySQL target: database) and table, from the
 * job's Rename rules (templates with ${srcDatasourceName}, ${srcDatabaseName}, ${srcTableName},
 * ${srcSchemaName}) or the defaults of 2020 tasks (src/runtime/pipeline-factory.ts): a MySQL target
 * takes every table into its data source's database; a PostgreSQL target keeps a PostgreSQL
 * source's schemas and puts a MySQL source's tables into `public`.
 */
import type { EngineKind } from '../../domain/jdbc-url.ts';
import { NAME_VARIABLES, type TableRules } from './table-rules.ts';

export interface NamingContext {
  sourceDataSource: string;
  /** The source data source's database (PostgreSQL: the database its schemas live in). */
  sourceDatabase: string;
  sourceProtocol: EngineKind;
  targetDataSource: string;
  targetDatabase: string;
  targetProtocol: EngineKind;
}

export interface TableName { schema: string; table: string }

/** PostgreSQL truncates longer names silently; MySQL allows 64 characters. */
const MAX_NAME = 63;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f."`'\\]/;

export class NamingError extends Error {}

/** Checks a template before any table is known: known variables only, usable characters. */
export function checkNameTemplate(template: string): string | null {
  if (template.trim() === '') return 'is empty';
  const unknown = [...template.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]).find((v) => !(NAME_VARIABLES as readonly string[]).includes(v));
  if (unknown !== undefined) return `uses the unknown variable \${${unknown}} (known: ${NAME_VARIABLES.map((n) => `\${${n}}`).join(', ')})`;
  const literal = template.replace(/\$\{[^}]*\}/g, 'x');
  if (literal.includes('${')) return 'has an unterminated ${';
  if (FORBIDDEN.test(literal)) return 'may not contain quotes, dots, backslashes or control characters';
  return null;
}

export function expandTemplate(template: string, vars: Record<(typeof NAME_VARIABLES)[number], string>): string {
  const name = template.replace(/\$\{([^}]*)\}/g, (_, v: string) => vars[v as keyof typeof vars] ?? '');
  if (name === '' || name.length > MAX_NAME || FORBIDDEN.test(name)) {
    throw new NamingError(`the Rename template ${JSON.stringify(template)} gives ${JSON.stringify(name)}, which is not a usable name (1-${MAX_NAME} characters, no quotes, dots or control characters)`);
  }
  return name;
}

export function defaultTargetSchema(source: TableName, ctx: NamingContext): string {
  if (ctx.targetProtocol === 'mysql') return ctx.targetDatabase;
  return ctx.sourceProtocol === 'mysql' ? 'public' : source.schema;
}

export function targetNameOf(source: TableName, rules: Pick<TableRules, 'tableName' | 'schemaName'>, ctx: NamingContext): TableName {
  const vars = {
    srcDatasourceName: ctx.sourceDataSource,
    srcDatabaseName: ctx.sourceProtocol === 'mysql' ? source.schema : ctx.sourceDatabase,
    srcSchemaName: source.schema,
    srcTableName: source.table,
  };
  return {
    schema: rules.schemaName !== undefined ? expandTemplate(rules.schemaName, vars) : defaultTargetSchema(source, ctx),
    table: rules.tableName !== undefined ? expandTemplate(rules.tableName, vars) : source.table,
  };
}
