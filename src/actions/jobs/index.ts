/** The 2024-05-18 DI Job API (jobs, 2024 data sources) and the 2020 actions that share its checks, by version. */
import type { ActionHandler } from '../action-handler.ts';

export const JOB_ACTIONS_2024: Record<string, ActionHandler> = {};
export const JOB_ACTIONS_2020: Record<string, ActionHandler> = {};
