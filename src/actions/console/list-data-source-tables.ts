/**
 * ListDataSourceTables (2024-05-18, an OpenDI extension; README "Web console"): the tables of a
 * workspace's data source that a job could read, with whether each has a primary key and the
 * database's own row estimate (statistics, never a count), and, given TableMappings in CreateDIJob's
 * shape, which of them those rules select now, evaluated by the code CreateDIJob and every start
 * use (src/domain/di-job/table-selection.ts, src/runtime/di-job/resolve-tables.ts). The console's
 * table picker, rule preview and load progress read it. One bounded session (connect and query
 * timeouts); a page of at most 1,000 tables.
 */
import type { Action } from '../action-handler.ts';
import { dataSourceNotFound, dataSourceOperationFailed, paramInvalid } from '../../protocol/errors.ts';
import { endpointOf } from '../../domain/data-source-content.ts';
import { protocolOfDataSourceType } from '../../domain/di-job/job-types.ts';
import { parseTableMappings } from '../../domain/di-job/table-mappings.ts';
import { compileSelection } from '../../domain/di-job/table-selection.ts';
import { readSourceTables } from '../../runtime/console/read-source-tables.ts';
import type { ActionDeps } from '../action-deps.ts';
import { paging, requireProject } from '../access.ts';
import { asParamError } from '../jobs/load-job.ts';

export const listDataSourceTables: Action<'2024-05-18', 'ListDataSourceTables'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId);
  const { pageNumber, pageSize, offset } = paging(p, 100, 1000);
  const name = p.DataSourceName;
  const ds = await deps.store.findDataSourceByName(project.id, name);
  if (!ds) throw dataSourceNotFound(name, project.id);
  const protocol = protocolOfDataSourceType(ds.dataSourceType);
  if (!protocol) throw paramInvalid('DataSourceName', `names a ${ds.dataSourceType} data source, whose tables this engine cannot read`);
  let mappings;
  try { mappings = p.TableMappings === undefined ? undefined : parseTableMappings(p.TableMappings, 'TableMappings', []); } catch (err) { throw asParamError(err); }
  if (p.SelectedOnly === true && mappings === undefined) throw paramInvalid('SelectedOnly', 'needs TableMappings to select by');

  let e;
  try { e = endpointOf(ds.content); } catch (err) { throw paramInvalid('DataSourceName', (err as Error).message); }
  const endpoint = { host: e.host, port: e.port, database: e.database, user: e.user, password: e.password };
  let tables;
  try {
    tables = await readSourceTables(protocol, endpoint);
  } catch (err) {
    throw dataSourceOperationFailed(`The tables of data source ${name} could not be read: ${(err as Error).message}`);
  }
  const selector = mappings && compileSelection(mappings, { dataSourceName: name, database: endpoint.database, protocol });
  const rows = tables.map((t) => {
    const index = selector ? selector(t) : -1;
    return {
      DatabaseName: protocol === 'mysql' ? t.schema : endpoint.database,
      SchemaName: protocol === 'mysql' ? '' : t.schema,
      TableName: t.table,
      HasPrimaryKey: t.hasKey,
      EstimatedRows: t.estimatedRows,
      Selected: index >= 0,
      MappingIndex: index,
    };
  });
  const shown = p.SelectedOnly === true ? rows.filter((r) => r.Selected) : rows;
  return {
    PagingInfo: {
      PageNumber: pageNumber, PageSize: pageSize, TotalCount: shown.length, SelectedCount: rows.filter((r) => r.Selected).length,
      Tables: shown.slice(offset, offset + pageSize),
    },
  };
};
