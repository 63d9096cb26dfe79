/**
 * Migration 9 of both catalogs (issue 14): the listings page in SQL by (project, id), so a page of
 * ListFiles / ListDataSources / ListDIJobs in a workspace of 10,000 tasks reads an index range
 * instead of sorting the table. Portable SQL: the same text runs on SQLite and PostgreSQL.
 */
export const LISTING_INDEXES = `
  CREATE INDEX task_files_by_project ON task_files(project_id, id);
  CREATE INDEX task_files_by_project_type ON task_files(project_id, file_type, id);
  CREATE INDEX data_sources_by_project ON data_sources(project_id, id);
  CREATE INDEX task_runtime_by_desired ON task_runtime(desired, file_id);
`;
