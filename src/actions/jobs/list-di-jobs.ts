/**
 * ListDIJobs (2024-05-18): the workspace's real-time tasks as jobs, in id order, including tasks
 * made through the 2020 API (their job document derived from the TaskContent). Name matches as a
 * substring (an UNSURE point: the 2020 JobName filter was fuzzy); the type filters compare
 * case-insensitively; SpecType FILESPEC lists jobs defined by FileSpec, CLASSIC the others, ALL
 * (the default) both. Filtered and paged in the store (job-listing.ts; issue 14).
 */
import type { Action } from '../action-handler.ts';
import { paramInvalid } from '../../protocol/errors.ts';
import { jobStatusOf } from '../../domain/di-job/job-status.ts';
import { REALTIME_FILE_TYPE } from '../../domain/task-status.ts';
import { paging, requireProject } from '../access.ts';
import { jobSummary } from './job-view.ts';
import { jobOf, refreshJobListings } from './job-listing.ts';

const SPEC_TYPES = ['FILESPEC', 'CLASSIC', 'ALL'];

export const listDIJobs: Action<'2024-05-18', 'ListDIJobs'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId);
  const { pageNumber, pageSize, offset } = paging(p, 10, 100);
  const specType = (p.SpecType ?? 'ALL').toUpperCase();
  if (!SPEC_TYPES.includes(specType)) throw paramInvalid('SpecType', `must be one of ${SPEC_TYPES.join(', ')}`);
  await refreshJobListings(deps.store, project.id, REALTIME_FILE_TYPE);
  const page = await deps.store.listJobListings(project.id, REALTIME_FILE_TYPE, {
    name: p.Name, sourceType: p.SourceDataSourceType, destinationType: p.DestinationDataSourceType, migrationType: p.MigrationType,
    specType: specType === 'ALL' ? undefined : specType as 'FILESPEC' | 'CLASSIC',
  }, offset, pageSize);
  // File, job row and run status come with the page (one read, consistent with it).
  const shown = page.items.map(({ file, job, status }) => jobSummary(file, jobOf(file, job).doc, jobStatusOf(status)));
  return { PagingInfo: { PageNumber: pageNumber, PageSize: pageSize, TotalCount: page.total, DIJobs: shown } };
};
