/**
 * OpenDI extension actions the web console needs where the cloud API has none (README "Web
 * console", docs/console.md): signed and checked like every other action, described in
 * spec/dataworks-openapi.json with `"extension": "OpenDI"`.
 */
import type { ActionMap } from '../action-handler.ts';
import { listDataSourceTables } from './list-data-source-tables.ts';
import { listDIJobDirtyRecords } from './list-di-job-dirty-records.ts';

export const CONSOLE_ACTIONS_2024 = {
  ListDataSourceTables: listDataSourceTables,
  ListDIJobDirtyRecords: listDIJobDirtyRecords,
} satisfies Partial<ActionMap<'2024-05-18'>>;
