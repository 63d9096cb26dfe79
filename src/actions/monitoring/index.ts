/** Monitoring and alerting actions (metrics, events, logs, alarm rules) and the remaining 2020 operations, by version. */
import type { ActionMap } from '../action-handler.ts';
import { listDIJobMetrics } from './list-di-job-metrics.ts';
import { listDIJobEvents } from './list-di-job-events.ts';
import { getDIJobLog } from './get-di-job-log.ts';
import { createDIAlarmRule2020, createDIAlarmRule2024 } from './create-di-alarm-rule.ts';
import { updateDIAlarmRule2020, updateDIAlarmRule2024 } from './update-di-alarm-rule.ts';
import { deleteDIAlarmRule2020, deleteDIAlarmRule2024 } from './delete-di-alarm-rule.ts';
import { getDIAlarmRule2020, listDIAlarmRules2020, listDIAlarmRules2024 } from './list-di-alarm-rules.ts';
import { listResourceGroups } from './list-resource-groups.ts';
import { listRefDISyncTasks } from './list-ref-di-sync-tasks.ts';
import { deleteFile } from './delete-file.ts';
import { createFolder } from './create-folder.ts';
import { listDIProjectConfig, updateDIProjectConfig } from './di-project-config.ts';

export const MONITORING_ACTIONS_2024 = {
  ListDIJobMetrics: listDIJobMetrics,
  ListDIJobEvents: listDIJobEvents,
  GetDIJobLog: getDIJobLog,
  CreateDIAlarmRule: createDIAlarmRule2024,
  ListDIAlarmRules: listDIAlarmRules2024,
  UpdateDIAlarmRule: updateDIAlarmRule2024,
  DeleteDIAlarmRule: deleteDIAlarmRule2024,
} satisfies Partial<ActionMap<'2024-05-18'>>;

export const MONITORING_ACTIONS_2020 = {
  CreateDIAlarmRule: createDIAlarmRule2020,
  UpdateDIAlarmRule: updateDIAlarmRule2020,
  DeleteDIAlarmRule: deleteDIAlarmRule2020,
  GetDIAlarmRule: getDIAlarmRule2020,
  ListDIAlarmRules: listDIAlarmRules2020,
  ListResourceGroups: listResourceGroups,
  ListRefDISyncTasks: listRefDISyncTasks,
  DeleteFile: deleteFile,
  CreateFolder: createFolder,
  ListDIProjectConfig: listDIProjectConfig,
  UpdateDIProjectConfig: updateDIProjectConfig,
} satisfies Partial<ActionMap<'2020-05-18'>>;
