/**
 * A job as ListDIJobs filters it: its document (the stored one while it belongs to the file's
 * current version, else the one derived from the 2020 TaskContent) and whether FileSpec defined it.
 * The store keeps these as listing rows (CatalogStore.staleJobListings / putJobListings), so a
 * page is read in SQL instead of deriving every job of the workspace at every call (issue 14).
 */
import type { CatalogStore, DIJobRecord, JobListingRecord, StaleJobListing, TaskFileRecord } from '../../store/catalog-store.ts';
import { currentJobOf, jobOfTask } from '../../domain/di-job/job-of-task.ts';
import type { JobDocument } from '../../domain/di-job/job-document.ts';

const BATCH = 500;
/** Bounds one call's refresh (a workspace being rewritten as fast as it is listed must not hold the call). */
const MAX_BATCHES = 200;

export function jobOf(file: TaskFileRecord, row: DIJobRecord | undefined): { doc: JobDocument; spec: 'FILESPEC' | 'CLASSIC' } {
  const stored = currentJobOf(file, row);
  return { doc: stored ?? jobOfTask(file), spec: stored !== undefined && row!.fileSpec !== null ? 'FILESPEC' : 'CLASSIC' };
}

function listingOf({ file, job, rev }: StaleJobListing): JobListingRecord {
  const { doc, spec } = jobOf(file, job);
  return {
    fileId: file.id, rev, name: doc.Name, specType: spec, sourceType: doc.SourceDataSourceType.toLowerCase(),
    destinationType: doc.DestinationDataSourceType.toLowerCase(), migrationType: doc.MigrationType.toLowerCase(),
  };
}

/** Brings the workspace's listing rows up to date: only tasks changed since their row was derived. */
export async function refreshJobListings(store: CatalogStore, projectId: number, fileType: number): Promise<void> {
  for (let i = 0; i < MAX_BATCHES; i++) {
    const stale = await store.staleJobListings(projectId, fileType, BATCH);
    await store.putJobListings(stale.map(listingOf));
    if (stale.length < BATCH) return;
  }
}
