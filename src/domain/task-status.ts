/**
 * Glossary (docs/design.md section 2):
 * - task: a DI_REALTIME sync task; it is also a DataStudio *file* of FileType 900 ("real-time
 *   synchronization"; 23 is batch Data Integration) in a workspace, so its FileId is the task id
 *   (and the 2024-05-18 DI job Id).
 * - instance: the running incarnation of a deployed task; its status is what GetDISyncInstanceInfo shows.
 * - checkpoint: source position + fence, committed in the target with the rows it covers.
 */
export const TASK_STATUSES = ['NORUN', 'WAIT', 'RUN', 'KILLING', 'PAUSE', 'FAILED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses in which a pipeline is (or is about to be) active. */
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['WAIT', 'RUN', 'KILLING'];

/**
 * DataWorks FileType of a real-time synchronization node (spec/dataworks-openapi.json, ListFiles
 * FileTypes). Catalogs written before this was fixed hold 23; a migration moves them to 900.
 */
export const REALTIME_FILE_TYPE = 900;
export const REALTIME_TASK_TYPE = 'DI_REALTIME';
