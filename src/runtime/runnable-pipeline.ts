/**
 * What the task runner needs from a pipeline (src/engine/pipeline.ts implements it):
 * `run()` resolves after `stop()` and rejects on failure; a failure that retrying cannot fix
 * (slot gone, fenced, bad table) is an `UnrecoverableError`.
 */
import type { PipelineMetrics } from '../engine/pipeline.ts';

export interface RunnablePipeline {
  run(): Promise<void>;
  stop(timeoutMs?: number): Promise<{ forced: boolean }>;
  metrics(): PipelineMetrics;
}

export interface PipelineCallbacks {
  onResourcesCreated(): Promise<void>;
  onStreaming(): void;
}
