/**
 * ListDIJobs (2024-05-18): the workspace's real-time tasks as jobs, in id order, including tasks
 * made through the 2020 API (their job document derived from the TaskContent). Name matches as a
 * substring (an UNSURE point: the 2020 JobName filter was fuzzy); the type filters compare
 * case-insensitively; SpecType FILESPEC lists jobs defined by FileSpec, CLASSIC the others, ALL
 * (the default) both.
 */
import type { Action } from '../action-handler.ts';
import { paramInvalid } from '../../protocol/errors.ts';
import { jobOfTask } from '../../domain/di-job/job-of-task.ts';
import { jobStatusOf } from '../../domain/di-job/job-status.ts';
import type { JobDocument } from '../../domain/di-job/job-document.ts';
import { REALTIME_FILE_TYPE } from '../../domain/task-status.ts';
import type { ActionDeps } from '../action-deps.ts';
import { paging, requireProject } from '../access.ts';
import { jobSummary } from './job-view.ts';

const SPEC_TYPES = ['FILESPEC', 'CLASSIC', 'ALL'];
const FILE_PAGE = 500;

export const listDIJobs: Action<'2024-05-18', 'ListDIJobs'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId);
  const { pageNumber, pageSize, offset } = paging(p, 10, 100);
  const specType = (p.SpecType ?? 'ALL').toUpperCase();
  if (!SPEC_TYPES.includes(specType)) throw paramInvalid('SpecType', `must be one of ${SPEC_TYPES.join(', ')}`);
  const rows = new Map((await deps.store.listDIJobs(project.id)).map((r) => [r.fileId, r]));
  const same = (a: string, b: string | undefined) => b === undefined || b === '' || a.toLowerCase() === b.toLowerCase();
  const matches: { id: number; render: () => Promise<unknown> }[] = [];
  for (let from = 0; ; from += FILE_PAGE) {
    const page = await deps.store.listTaskFiles(project.id, { fileTypes: [REALTIME_FILE_TYPE] }, from, FILE_PAGE);
    for (const file of page.items) {
      const row = rows.get(file.id);
      const current = row && row.fileVersion === file.version;
      const doc: JobDocument = current ? JSON.parse(row.document) : jobOfTask(file);
      const spec = current && row.fileSpec !== null ? 'FILESPEC' : 'CLASSIC';
      if (specType !== 'ALL' && spec !== specType) continue;
      if (p.Name !== undefined && !doc.Name.includes(p.Name)) continue;
      if (!same(doc.SourceDataSourceType, p.SourceDataSourceType) || !same(doc.DestinationDataSourceType, p.DestinationDataSourceType)
        || !same(doc.MigrationType, p.MigrationType)) continue;
      matches.push({ id: file.id, render: async () => jobSummary(file, doc, jobStatusOf((await deps.lifecycle.runtime(file.id)).status)) });
    }
    if (page.items.length < FILE_PAGE) break;
  }
  const shown = await Promise.all(matches.slice(offset, offset + pageSize).map((m) => m.render()));
  return { PagingInfo: { PageNumber: pageNumber, PageSize: pageSize, TotalCount: matches.length, DIJobs: shown } };
};
