/**
 * Evaluates a job's selection rules against the source's catalog (at Create/Update, to refuse a
 * selection that matches nothing, and at every start: README, "The 2024-05-18 DI Job API").
 * A selected table without a primary key cannot be synced by key: it is reported, never skipped
 * silently.
 */
import type { DbEndpoint } from '../../engine/endpoint.ts';
import type { EngineKind } from '../../domain/jdbc-url.ts';
import type { JobPlan } from '../../domain/di-job/job-plan.ts';
import type { TableRef } from '../../engine/change-source.ts';
import { listMySqlTables, type CatalogTable } from '../../engine/sources/mysql/list-source-tables.ts';
import { listPostgresTables } from '../../engine/sources/postgres/list-source-tables.ts';
import { withMySql, withPostgres } from './database-session.ts';

export async function listSourceCatalog(kind: EngineKind, endpoint: DbEndpoint): Promise<CatalogTable[]> {
  return kind === 'postgresql' ? withPostgres(endpoint, listPostgresTables) : withMySql(endpoint, listMySqlTables);
}

export interface Selection { tables: TableRef[]; keyless: string[] }

export function selectTables(catalog: CatalogTable[], plan: Pick<JobPlan, 'select'>): Selection {
  const chosen = catalog.filter((t) => plan.select(t) !== undefined);
  return {
    tables: chosen.filter((t) => t.hasKey).map((t) => ({ schema: t.schema, table: t.table })),
    keyless: chosen.filter((t) => !t.hasKey).map((t) => `${t.schema}.${t.table}`),
  };
}

/** What is wrong with a selection, in one sentence; null when it can run. */
export function selectionProblem(s: Selection, plan: Pick<JobPlan, 'singleTable' | 'sourceDataSource'>): string | null {
  if (s.keyless.length > 0) {
    return `the selected source table(s) ${s.keyless.join(', ')} have no primary key, and real-time sync applies changes by primary key; `
      + 'add one or leave them out with an Exclude rule';
  }
  if (s.tables.length === 0) return `TableMappings select no table of data source ${plan.sourceDataSource}`;
  if (plan.singleTable && s.tables.length > 1) {
    return `a SingleTableRealtimeMigration job must select one table, but TableMappings select ${s.tables.length} (${s.tables.slice(0, 5).map((t) => `${t.schema}.${t.table}`).join(', ')}${s.tables.length > 5 ? ', ...' : ''})`;
  }
  return null;
}
