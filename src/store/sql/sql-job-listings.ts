/**
 * The ListDIJobs listing rows of the SQL catalog (job-listing-migration.ts; CatalogStore
 * staleJobListings / putJobListings / listJobListings): stale rows found by one join, stored with
 * the revision they were derived from, and a page read by (project, id) with its filters in SQL,
 * each job's file, job row and run status with it (one query, not three reads per job).
 */
import type { DIJobRecord, JobListingFilter, JobListingRecord, ListedJob, Page, StaleJobListing } from '../catalog-store.ts';
import type { TaskStatus } from '../../domain/task-status.ts';
import type { Row, SqlDriver } from './sql-driver.ts';
import { mapDIJob, mapTaskFile } from './catalog-rows.ts';
import { selectPage } from './select-page.ts';

const JOB_COLUMNS = ['file_id', 'document', 'file_spec', 'file_version', 'run_instance_id', 'run_document', 'rerun_instance_id'];
/** The file's columns and its di_jobs row's (prefixed j_), from `task_files f LEFT JOIN di_jobs j`. */
const FILE_AND_JOB = `f.*, ${JOB_COLUMNS.map((c) => `j.${c} AS j_${c}`).join(', ')}`;

function jobOfRow(r: Row): DIJobRecord | undefined {
  return r.j_file_id === null || r.j_file_id === undefined ? undefined : mapDIJob(Object.fromEntries(JOB_COLUMNS.map((c) => [c, r[`j_${c}`]])) as Row);
}

export async function staleJobListings(db: SqlDriver, projectId: number, fileType: number, limit: number): Promise<StaleJobListing[]> {
  const rows = await db.query(`SELECT ${FILE_AND_JOB}
    FROM task_files f LEFT JOIN di_jobs j ON j.file_id = f.id LEFT JOIN job_listings l ON l.file_id = f.id
    WHERE f.project_id = ? AND f.file_type = ? AND (l.file_id IS NULL OR l.rev <> f.listing_rev)
    ORDER BY f.id LIMIT ?`, [projectId, fileType, limit]);
  return rows.map((r) => ({ file: mapTaskFile(r)!, job: jobOfRow(r), rev: r.listing_rev }));
}

/**
 * foreign_key_violation (PostgreSQL): a file deleted (DeleteDISyncTask) between the batch's read of
 * it and the check of the row's reference; the batch is tried once more and then skips that file.
 * SQLite runs one writer at a time and never meets it.
 */
const FILE_DELETED_MEANWHILE = '23503';

export async function putJobListings(db: SqlDriver, rows: JobListingRecord[]): Promise<void> {
  if (rows.length === 0) return;
  try {
    await putBatch(db, rows);
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== FILE_DELETED_MEANWHILE) throw err;
    await putBatch(db, rows);
  }
}

async function putBatch(db: SqlDriver, rows: JobListingRecord[]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const l of rows) {
      // Only while the file still exists; a row derived from an older revision never replaces a newer one.
      await tx.run(`INSERT INTO job_listings(file_id, rev, name, source_type, destination_type, migration_type, spec_type)
        SELECT id, CAST(? AS BIGINT), ?, ?, ?, ?, ? FROM task_files WHERE id = ?
        ON CONFLICT(file_id) DO UPDATE SET rev = excluded.rev, name = excluded.name, source_type = excluded.source_type,
          destination_type = excluded.destination_type, migration_type = excluded.migration_type, spec_type = excluded.spec_type
        WHERE excluded.rev >= job_listings.rev`,
      [l.rev, l.name, l.sourceType, l.destinationType, l.migrationType, l.specType, l.fileId]);
    }
  });
}

export async function listJobListings(db: SqlDriver, projectId: number, fileType: number, f: JobListingFilter, offset: number, limit: number): Promise<Page<ListedJob>> {
  const conds = ['f.project_id = ?', 'f.file_type = ?'];
  const args: unknown[] = [projectId, fileType];
  if (f.name !== undefined && f.name !== '') { conds.push(db.dialect.contains('l.name')); args.push(f.name); }
  for (const [col, v] of [['l.source_type', f.sourceType], ['l.destination_type', f.destinationType], ['l.migration_type', f.migrationType]] as const) {
    if (v !== undefined && v !== '') { conds.push(`${col} = ?`); args.push(v.toLowerCase()); }
  }
  if (f.specType !== undefined) { conds.push('l.spec_type = ?'); args.push(f.specType); }
  // The LEFT JOINs match at most one row each (keyed by file): the count is the same with or without them.
  const from = `FROM task_files f JOIN job_listings l ON l.file_id = f.id LEFT JOIN di_jobs j ON j.file_id = f.id
    LEFT JOIN task_runtime r ON r.file_id = f.id WHERE ${conds.join(' AND ')}`;
  const { total, rows } = await selectPage(db, `${FILE_AND_JOB}, r.status AS r_status`, from, 'f.id', args, offset, limit);
  return {
    total,
    items: rows.map((r) => {
      if (r.r_status === null || r.r_status === undefined) throw new Error(`no runtime row for task ${r.id}`);
      return { file: mapTaskFile(r)!, job: jobOfRow(r), status: r.r_status as TaskStatus };
    }),
  };
}
