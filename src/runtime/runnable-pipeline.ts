/**
 * What the task runner needs from a pipeline (src/engine/pipeline.ts implements it):
 * `run()` resolves after `stop()` and rejects on failure; a failure that retrying cannot fix
 * (slot gone, fenced, bad table) is an `UnrecoverableError`.
 */
import type { Alert, EngineEvent, PipelineMetrics } from '../engine/pipeline.ts';
import type { StartParam, StartPosition } from '../domain/start-param.ts';

export interface RunnablePipeline {
  run(): Promise<void>;
  stop(timeoutMs?: number): Promise<{ forced: boolean }>;
  metrics(): PipelineMetrics;
}

export interface PipelineCallbacks {
  onResourcesCreated(): Promise<void>;
  onStreaming(): void;
  onAlert(alert: Alert): void;
  onProgress(metrics: PipelineMetrics): void;
  onEvent(event: EngineEvent): void;
}

/** The StartParam rules one pipeline runs under. */
export interface TaskRules {
  errorLimit: number;
  ddlMarkMap: StartParam['ddlMarkMap'];
  startFrom: StartPosition | null;
}
