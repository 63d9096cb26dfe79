/**
 * The asynchronous config path of real-time tasks: GenerateDISyncTaskConfigForCreating /
 * ForUpdating start a process that validates the script, checks its data sources exist in the
 * workspace with the right type, resolves the tables on the source, and yields the TaskContent
 * that QueryDISyncTaskConfigProcessResult returns.
 */
import type { Logger } from '../logger.ts';
import type { CatalogStore } from '../store/catalog-store.ts';
import { endpointOf } from '../domain/data-source-content.ts';
import { TaskContentError, isObject, parseRealtimeTask, renderRealtimeTask, resolveReaderTables, type RealtimeTaskDefinition, type TableRef } from '../domain/task-content.ts';
import { checkSourceTables } from './source-tables.ts';

export class ConfigProcessor {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly byId = new Map<number, Promise<void>>();

  constructor(private readonly store: CatalogStore, private readonly logger: Logger) {}

  async submit(projectId: number, kind: 'create' | 'update', taskId: number | null, script: string): Promise<number> {
    const proc = await this.store.createConfigProcess({ projectId, kind, taskId, status: 'running', message: null, taskContent: null });
    const work = this.process(proc.id, projectId, script).finally(() => { this.inFlight.delete(work); this.byId.delete(proc.id); });
    this.inFlight.add(work);
    this.byId.set(proc.id, work);
    return proc.id;
  }

  /** Waits up to `timeoutMs` for process `id` to finish, if it runs in this service. */
  async waitFor(id: number, timeoutMs: number): Promise<void> {
    const work = this.byId.get(id);
    if (!work) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([work, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
    clearTimeout(timer);
  }

  /** Waits for processes still running (service shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async process(id: number, projectId: number, script: string): Promise<void> {
    try {
      const def = parseRealtimeTask(script);
      const { problems, tables } = await this.check(projectId, def);
      if (problems.length > 0) await this.store.finishConfigProcess(id, 'fail', problems.join('; '), null);
      else await this.store.finishConfigProcess(id, 'success', null, renderRealtimeTask(def, { resolved: tables }));
    } catch (err) {
      const message = err instanceof TaskContentError ? err.message : 'internal error while generating the task config';
      if (!(err instanceof TaskContentError)) this.logger.error('config process failed', { processId: id, error: err });
      await this.store.finishConfigProcess(id, 'fail', message, null).catch(() => undefined);
    }
  }

  private async check(projectId: number, def: RealtimeTaskDefinition): Promise<{ problems: string[]; tables?: TableRef[] }> {
    const problems: string[] = [];
    const reader = await this.store.findDataSourceByName(projectId, def.reader.datasource);
    const writer = await this.store.findDataSourceByName(projectId, def.writer.datasource);
    if (!reader) problems.push(`reader data source ${def.reader.datasource} does not exist in workspace ${projectId}`);
    else if (reader.dataSourceType !== def.reader.kind) problems.push(`reader data source ${reader.name} is ${reader.dataSourceType}, not ${def.reader.kind}`);
    if (!writer) problems.push(`writer data source ${def.writer.datasource} does not exist in workspace ${projectId}`);
    else if (writer.dataSourceType !== def.writer.kind) problems.push(`writer data source ${writer.name} is ${writer.dataSourceType}, not ${def.writer.kind}`);
    if (problems.length > 0 || !reader) return { problems };
    // Tables named without their database resolve against the reader's database, as the engine does at start.
    const endpoint = endpointOf(reader.content);
    const tables = resolveReaderTables(def, endpoint.database);
    return { problems: await checkSourceTables(endpoint, tables, { publication: def.reader.publication, initialLoad: def.initialLoad }), tables };
  }
}

/**
 * GenerateDISyncTaskConfigForUpdating sends a partial script (e.g. only the reader's tables):
 * objects merge key by key, steps merge by category, other arrays of objects merge by position,
 * arrays of values replace.
 */
export function mergeScript(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) {
    if (!patch.every(isObject)) return patch;
    const out = [...base];
    patch.forEach((item, i) => {
      const j = isObject(item) && typeof item.category === 'string'
        ? out.findIndex((b) => isObject(b) && b.category === item.category) : i;
      if (j >= 0 && j < out.length) out[j] = mergeScript(out[j], item);
      else out.push(item);
    });
    return out;
  }
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? mergeScript(base[k], v) : v;
    return out;
  }
  return patch;
}
