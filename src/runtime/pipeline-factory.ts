/**
 * Turns a deployed task (its script, its data sources, its runtime state) into an engine pipeline,
 * and releases a task's engine resources (replication slot, publication, target checkpoint).
 */
import type { Logger } from '../logger.ts';
import type { CatalogStore } from '../store/catalog-store.ts';
import { endpointOf } from '../domain/data-source-content.ts';
import { parseRealtimeTask } from '../domain/task-content.ts';
import { Pipeline, UnrecoverableError, releaseTaskResources, type PipelineSpec, type PgEndpoint } from '../engine/pipeline.ts';
import type { PipelineCallbacks, RunnablePipeline } from './runnable-pipeline.ts';

export interface PipelineFactory {
  create(taskId: number, fence: number, resourcesCreated: boolean, callbacks: PipelineCallbacks): Promise<RunnablePipeline>;
  release(taskId: number): Promise<void>;
  isUnrecoverable(err: unknown): boolean;
}

export interface EngineSettings { batchMaxRows?: number; batchMaxDelayMs?: number }

export function createPipelineFactory(store: CatalogStore, logger: Logger, settings: EngineSettings = {}): PipelineFactory {
  async function specFor(taskId: number, fence: number, resourcesCreated: boolean): Promise<PipelineSpec> {
    const file = await store.getTaskFile(taskId);
    const content = file?.deployedContent ?? file?.content;
    if (!file || content == null) throw new UnrecoverableError(`task ${taskId} has no deployed definition`);
    const def = parseRealtimeTask(content);
    const endpoint = async (name: string, kind: string): Promise<PgEndpoint> => {
      const ds = await store.findDataSourceByName(file.projectId, name);
      if (!ds) throw new UnrecoverableError(`data source ${name} no longer exists in workspace ${file.projectId}`);
      const e = endpointOf(ds.content);
      if (e.kind !== 'postgresql' || kind !== 'postgresql') {
        throw new UnrecoverableError(`data source ${name}: only postgresql sources and targets are supported by this engine build`);
      }
      return { host: e.host, port: e.port, database: e.database, user: e.user, password: e.password };
    };
    const prefix = `opendi_${await store.installationId()}_${taskId}`.toLowerCase();
    return {
      taskId, fence,
      source: {
        kind: 'postgresql', endpoint: await endpoint(def.reader.datasource, def.reader.kind),
        slotName: prefix, publicationName: prefix, tables: def.reader.tables, resourcesCreated,
      },
      target: { kind: 'postgresql', endpoint: await endpoint(def.writer.datasource, def.writer.kind) },
      batch: { maxRows: settings.batchMaxRows, maxDelayMs: settings.batchMaxDelayMs },
    };
  }

  return {
    async create(taskId, fence, resourcesCreated, callbacks) {
      const spec = await specFor(taskId, fence, resourcesCreated);
      return new Pipeline(spec, callbacks, logger.child({ taskId }));
    },
    async release(taskId) {
      await releaseTaskResources(await specFor(taskId, 0, true), logger.child({ taskId }));
    },
    isUnrecoverable: (err) => err instanceof UnrecoverableError,
  };
}
