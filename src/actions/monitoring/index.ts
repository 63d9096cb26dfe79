/** Monitoring and alerting actions (metrics, events, logs, alarm rules) and the remaining 2020 operations, by version. */
import type { ActionHandler } from '../action-handler.ts';

export const MONITORING_ACTIONS_2024: Record<string, ActionHandler> = {};
export const MONITORING_ACTIONS_2020: Record<string, ActionHandler> = {};
