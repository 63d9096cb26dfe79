/**
 * Which source tables a job selects (README, "The 2024-05-18 DI Job API"; an UNSURE point decided
 * here). Within one TableMappings element, per object level (Datasource, Database, Schema, Table):
 * - the Include rules of a level are ORed; a level without Include rules is unrestricted, except
 *   the database: by default only the source data source's own database;
 * - an Exclude rule of any level removes what it matches (Exclude wins over Include);
 * - a table is selected when every level admits it.
 * Elements are ORed; a table selected by several takes the rules of the first.
 * Exact matches compare the whole name, case-sensitively; a Regex must match the whole name.
 * MySQL has no schemas: Database and Schema rules both match a MySQL table's database. For
 * PostgreSQL, Database is the data source's database and Schema the table's schema.
 */
import type { EngineKind } from '../jdbc-url.ts';
import type { SelectionRule, TableMapping } from './job-document.ts';
import { compileRegex } from './table-mappings.ts';

export interface SourceScope { dataSourceName: string; database: string; protocol: EngineKind }
export interface SourceTable { schema: string; table: string }

type Level = 'Datasource' | 'Database' | 'Schema' | 'Table';
type Matcher = (name: string) => boolean;

function matcherOf(rule: SelectionRule): Matcher {
  if (rule.ExpressionType === 'Exact') return (name) => name === rule.Expression;
  const re = compileRegex(rule.Expression, 'Expression');
  return (name) => re.test(name);
}

/** The index of the first mapping that selects a table, or -1. */
export type Selector = (t: SourceTable) => number;

export function compileSelection(mappings: TableMapping[], scope: SourceScope): Selector {
  const elements = mappings.map((m) => compileElement(m.SourceObjectSelectionRules, scope));
  return (t) => elements.findIndex((matches) => matches(t));
}

function compileElement(rules: SelectionRule[], scope: SourceScope): (t: SourceTable) => boolean {
  const mysql = scope.protocol === 'mysql';
  // MySQL: a Schema rule is a Database rule (MySQL calls databases schemas too).
  const levelOf = (r: SelectionRule): Level => (mysql && r.ObjectType === 'Schema' ? 'Database' : r.ObjectType);
  const includes = new Map<Level, Matcher[]>();
  const excludes = new Map<Level, Matcher[]>();
  for (const r of rules) {
    const map = r.Action === 'Include' ? includes : excludes;
    const level = levelOf(r);
    map.set(level, [...(map.get(level) ?? []), matcherOf(r)]);
  }
  const admits = (level: Level, name: string, unrestricted: boolean): boolean => {
    const inc = includes.get(level);
    const included = inc ? inc.some((m) => m(name)) : unrestricted;
    return included && !(excludes.get(level) ?? []).some((m) => m(name));
  };
  return (t) => {
    const database = mysql ? t.schema : scope.database;
    return admits('Datasource', scope.dataSourceName, true)
      && admits('Database', database, database === scope.database)
      && (mysql || admits('Schema', t.schema, true))
      && admits('Table', t.table, true);
  };
}
