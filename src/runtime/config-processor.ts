/**
 * The asynchronous config path of real-time tasks: GenerateDISyncTaskConfigForCreating /
 * ForUpdating start a process that validates the script, checks its data sources exist in the
 * workspace with the right type, resolves the tables on the source, and yields the TaskContent
 * that QueryDISyncTaskConfigProcessResult returns.
 *
 * Every process ends `success` or `fail`: the source check is bounded (connect, each statement,
 * the whole check), shutdown aborts the checks still running, and processes a crash left
 * `running` are failed at start-up (`failInterrupted`). In a cluster each process records the
 * node that runs it (`nodeKey`): when that node dies, the live nodes fail its processes
 * (src/cluster/reconciler.ts), since no restart of it will.
 */
import type { Logger } from '../logger.ts';
import type { CatalogStore } from '../store/catalog-store.ts';
import { endpointOf } from '../domain/data-source-content.ts';
import { TaskContentError, isObject, parseRealtimeTask, renderRealtimeTask, resolveReaderTables, type RealtimeTaskDefinition, type TableRef } from '../domain/task-content.ts';
import { checkSourceTables, type SourceCheckSettings } from './source-tables.ts';

export interface ConfigProcessSettings extends SourceCheckSettings {
  /** The whole check of one process. */
  totalTimeoutMs: number;
}

export const DEFAULT_CONFIG_PROCESS_SETTINGS: ConfigProcessSettings = {
  connectTimeoutMs: 10_000, statementTimeoutMs: 15_000, totalTimeoutMs: 60_000, allowCleartextPassword: false,
};

export const INTERRUPTED_MESSAGE = 'interrupted by a service restart; run the check again';

export class ConfigProcessor {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly byId = new Map<number, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: CatalogStore,
    private readonly logger: Logger,
    private readonly settings: ConfigProcessSettings = DEFAULT_CONFIG_PROCESS_SETTINGS,
    /** This node's key in a cluster (its processes carry it), null in a single process. */
    private readonly nodeKey: string | null = null,
  ) {}

  /** Start-up: processes still `running` lost their worker in a crash; they end `fail`. */
  async failInterrupted(): Promise<number> {
    return this.store.failRunningConfigProcesses(INTERRUPTED_MESSAGE);
  }

  async submit(projectId: number, kind: 'create' | 'update', taskId: number | null, script: string): Promise<number> {
    const proc = await this.store.createConfigProcess({ projectId, kind, taskId, status: 'running', message: null, taskContent: null, nodeKey: this.nodeKey });
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

  /** Service shutdown: aborts the checks still running (they end `fail`) and waits for them to record it. */
  async drain(): Promise<void> {
    this.stopping.abort(new Error(INTERRUPTED_MESSAGE));
    await Promise.allSettled([...this.inFlight]);
  }

  private async process(id: number, projectId: number, script: string): Promise<void> {
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.settings.totalTimeoutMs)]);
    try {
      const def = parseRealtimeTask(script);
      const { problems, tables } = await this.check(projectId, def, signal);
      if (problems.length > 0) await this.store.finishConfigProcess(id, 'fail', problems.join('; '), null);
      else await this.store.finishConfigProcess(id, 'success', null, renderRealtimeTask(def, { resolved: tables }));
    } catch (err) {
      let message: string;
      if (err instanceof TaskContentError) message = err.message;
      else if (this.stopping.signal.aborted) message = INTERRUPTED_MESSAGE;
      else if (signal.aborted) message = `the check of the source database did not finish within ${this.settings.totalTimeoutMs} ms; check that it is reachable and answers, then run the check again`;
      else {
        message = 'internal error while generating the task config';
        this.logger.error('config process failed', { processId: id, error: err });
      }
      await this.store.finishConfigProcess(id, 'fail', message, null).catch(() => undefined);
    }
  }

  private async check(projectId: number, def: RealtimeTaskDefinition, signal: AbortSignal): Promise<{ problems: string[]; tables?: TableRef[] }> {
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
    return { problems: await checkSourceTables(reader.name, endpoint, tables, this.settings, signal, this.logger, { publication: def.reader.publication, initialLoad: def.initialLoad }), tables };
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
