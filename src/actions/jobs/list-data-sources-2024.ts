/**
 * ListDataSources (2024-05-18): the workspace's data sources grouped by name, each group holding
 * its Dev and/or Prod entries (README, "The 2024-05-18 DI Job API"). Filters: Name (substring), Types,
 * EnvType (an entry filter; a group without a matching entry is left out), Tags (data sources
 * carry no tags here, so a Tags filter matches nothing). Sorted by CreateTime (default), Id or
 * Name of each group's first entry; paged by group.
 */
import type { Action } from '../action-handler.ts';
import { paramInvalid } from '../../protocol/errors.ts';
import type { DataSourceRecord } from '../../store/catalog-store.ts';
import { ENV_TYPES, envTypeOf, type EnvName } from '../../domain/di-job/connection-properties.ts';
import type { ActionDeps } from '../action-deps.ts';
import { paging, requireProject } from '../access.ts';
import { dataSourceEntry } from './data-source-view.ts';

const SORT_BY = ['CreateTime', 'Id', 'Name'] as const;
const ALL = 1_000_000;

export const listDataSources2024: Action<'2024-05-18', 'ListDataSources'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId);
  const { pageNumber, pageSize, offset } = paging(p, 10, 100);
  const sortBy = p.SortBy ?? 'CreateTime';
  if (!(SORT_BY as readonly string[]).includes(sortBy)) throw paramInvalid('SortBy', `must be one of ${SORT_BY.join(', ')}`);
  const order = p.Order ?? 'Desc';
  if (order !== 'Desc' && order !== 'Asc') throw paramInvalid('Order', 'must be Desc or Asc');
  if (p.EnvType !== undefined && !isEnvName(p.EnvType)) throw paramInvalid('EnvType', 'must be Dev or Prod');
  const tags = tagsOf(p.Tags);
  const types = p.Types?.map((t) => t.trim().toLowerCase()).filter(Boolean);

  const page = await deps.store.listDataSources(project.id, {
    name: p.Name, envType: p.EnvType === undefined ? undefined : envTypeOf(p.EnvType),
  }, 0, ALL);
  const groups = new Map<string, DataSourceRecord[]>();
  for (const ds of page.items) {
    if (types && types.length > 0 && !types.includes(ds.dataSourceType)) continue;
    if (tags.length > 0) continue;
    groups.set(ds.name, [...(groups.get(ds.name) ?? []), ds]);
  }
  const key = (g: DataSourceRecord[]) => (sortBy === 'Name' ? g[0].name : sortBy === 'Id' ? g[0].id : g[0].createdAt);
  const sorted = [...groups.values()].sort((a, b) => {
    const x = key(a); const y = key(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return order === 'Asc' ? c : -c;
  });
  const installation = await deps.store.installationId();
  return {
    PagingInfo: {
      PageNumber: pageNumber, PageSize: pageSize, TotalCount: sorted.length,
      DataSources: sorted.slice(offset, offset + pageSize).map((g) => ({
        Name: g[0].name, Type: g[0].dataSourceType,
        DataSource: g.sort((a, b) => a.envType - b.envType).map((ds) => dataSourceEntry(ds, installation)),
      })),
    },
  };
};

const isEnvName = (v: string): v is EnvName => (ENV_TYPES as readonly string[]).includes(v);

function tagsOf(v: string | undefined): string[] {
  if (v === undefined || v === '') return [];
  let tags: unknown;
  try { tags = JSON.parse(String(v)); } catch { throw paramInvalid('Tags', 'must be a JSON array of strings'); }
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) throw paramInvalid('Tags', 'must be a JSON array of strings');
  if (tags.length > 10) throw paramInvalid('Tags', 'holds more than 10 tags');
  return tags as string[];
}
