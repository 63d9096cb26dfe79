/**
 * What the task runner (src/runtime/task-runner.ts) tells monitoring about a task instance: when a
 * pipeline of it starts, each failover with the error that caused it, and what the engine reported
 * (engine-event.ts). Calls must return at once and never throw: monitoring is off the data path.
 */
import type { EngineEvent, PipelineMetrics } from '../../engine/pipeline.ts';

export interface FailoverInfo {
  error: string;
  /** Restarts used in the failover window, and the limit (StartParam.failoverLimit). */
  restart: number;
  limit: number;
  delayMs: number;
  /** The failed pipeline's last figures (its counters would otherwise be lost with it). */
  last: PipelineMetrics | undefined;
}

export interface RunnerMonitor {
  pipelineStarting(taskId: number, instanceId: number): void;
  failover(taskId: number, instanceId: number, info: FailoverInfo): void;
  engineEvent(taskId: number, instanceId: number, event: EngineEvent): void;
}
