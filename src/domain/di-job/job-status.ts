/**
 * The 2024 JobStatus of a task's engine status (README, "The 2024-05-18 DI Job API"; an UNSURE
 * point decided in the README): NORUN -> Initialized, WAIT and RUN -> Running (2024 has no
 * "starting"), KILLING -> Stopping, PAUSE -> Stopped (ListDIJobs and the 2020 models say
 * Stopped; the 2024 GetDIJob doc's "Stop" is taken for a typo), FAILED -> Failed. Real-time jobs
 * never finish, so Finished is never reported.
 */
import type { TaskStatus } from '../task-status.ts';

export type JobStatus = 'Initialized' | 'Running' | 'Stopping' | 'Stopped' | 'Failed';

const MAP: Record<TaskStatus, JobStatus> = {
  NORUN: 'Initialized', WAIT: 'Running', RUN: 'Running', KILLING: 'Stopping', PAUSE: 'Stopped', FAILED: 'Failed',
};

export function jobStatusOf(status: TaskStatus): JobStatus {
  return MAP[status];
}
