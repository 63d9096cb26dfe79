/**
 * Migration 10 of both catalogs (issue 14): ListDIJobs pages in SQL. A job's listed fields are
 * derived from its task file and job document by the actions (src/actions/jobs/job-listing.ts), so
 * the store keeps them as a listing row per task, stamped with the file's `listing_rev`, which
 * every write of the file's content, deployment or job document bumps. A row whose stamp differs
 * is stale and recomputed before the page is read. Portable SQL for SQLite and PostgreSQL.
 */
export const JOB_LISTING_MIGRATION = `
  ALTER TABLE task_files ADD COLUMN listing_rev BIGINT NOT NULL DEFAULT 0;
  CREATE TABLE job_listings (
    file_id BIGINT PRIMARY KEY REFERENCES task_files(id) ON DELETE CASCADE,
    rev BIGINT NOT NULL, name TEXT NOT NULL, source_type TEXT NOT NULL, destination_type TEXT NOT NULL,
    migration_type TEXT NOT NULL, spec_type TEXT NOT NULL);
`;
