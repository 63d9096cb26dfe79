/**
 * ListDIJobDirtyRecords (2024-05-18, an OpenDI extension; README "Web console"): the rows a job's
 * target rejected, with the database's error, newest first, read from the target's dirty-record
 * table (src/runtime/console/read-dirty-records.ts). The job is checked like every 2024 job
 * operation (src/actions/require-job.ts); the read is one bounded page (PageSize <= 100, at most
 * MAX_OFFSET rows skipped) over a short-lived session with connect and query timeouts. A target
 * that cannot be read is a 503 naming the data source, never its password.
 */
import type { Action } from '../action-handler.ts';
import { jobOperationFailed, paramInvalid } from '../../protocol/errors.ts';
import { parseRealtimeTask } from '../../domain/task-content.ts';
import { endpointOf } from '../../domain/data-source-content.ts';
import { readDirtyRecords } from '../../runtime/console/read-dirty-records.ts';
import type { ActionDeps } from '../action-deps.ts';
import { paging } from '../access.ts';
import { jobIdParam, requireJob } from '../require-job.ts';

const MAX_OFFSET = 100_000;

export const listDIJobDirtyRecords: Action<'2024-05-18', 'ListDIJobDirtyRecords'> = async (deps, ctx) => {
  const file = await requireJob(deps, ctx, jobIdParam(['DIJobId', ctx.params.DIJobId], ['Id', ctx.params.Id]));
  const { pageNumber, pageSize, offset } = paging(ctx.params, 20, 100);
  if (offset > MAX_OFFSET) throw paramInvalid('PageNumber', `must not skip more than ${MAX_OFFSET} records (PageNumber x PageSize); the newest come first`);
  const writer = parseRealtimeTask(file.deployedContent ?? file.content).writer;
  const ds = await deps.store.findDataSourceByName(file.projectId, writer.datasource);
  if (!ds) throw jobOperationFailed(`the DI job ${file.id} writes to data source ${writer.datasource}, which no longer exists in workspace ${file.projectId}`);
  let page;
  try {
    const e = endpointOf(ds.content);
    page = await readDirtyRecords(writer.kind, { host: e.host, port: e.port, database: e.database, user: e.user, password: e.password }, file.id, offset, pageSize);
  } catch (err) {
    throw jobOperationFailed(`the dirty records of DI job ${file.id} could not be read from data source ${ds.name}: ${(err as Error).message}`);
  }
  return {
    PagingInfo: {
      PageNumber: pageNumber, PageSize: pageSize, TotalCount: page.total,
      DirtyRecords: page.records.map((r) => ({
        Id: r.id, RecordedAt: r.recordedAt, TableName: r.table, Operation: r.operation, RowKey: r.rowKey,
        RowValues: r.rowValues, ErrorMessage: r.error, Truncated: r.truncated,
      })),
    },
  };
};
