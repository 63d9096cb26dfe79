/**
 * The task script of a DI_REALTIME task (docs/design.md section 2). Two shapes are accepted: the
 * TaskParam shape {"type":"realtime","version":"1.0","setting":{...},"steps":[reader, writer]} and
 * the cloud's TaskContent shape {"type":"job","version":"2.0","extend":{mode, resourceGroup, name},
 * "steps":[...],"order":{"hops":[{"from":"reader","to":"writer"}]}}. The reader's
 * parameter.connection[] names a data source and its tables either as `table: ["schema.t"]` or as
 * `selectedTables: [{dbName, schema: [{schemaName?, tableInfos: [{table}]}]}]`; a MySQL table named
 * without its database belongs to the reader data source's database (`resolveReaderTables`). The
 * writer's parameter names its `datasource`. What is stored and returned is the cloud's shape
 * (`renderRealtimeTask`), with OpenDI's `setting` keys kept.
 */
import { ENGINE_KINDS, type EngineKind } from './jdbc-url.ts';
import { MAX_LANES } from './max-lanes.ts';

export interface TableRef { schema: string; table: string }
/** A table as the script names it: `schema` is null for a MySQL table named without its database. */
export interface NamedTable { schema: string | null; table: string }

export interface RealtimeTaskDefinition {
  /** publication: a PostgreSQL publication the DBA created (parameter.publication); absent: the task creates its own. */
  reader: { datasource: string; kind: EngineKind; tables: NamedTable[]; publication?: string };
  /** schema: where the target tables go (default: see runtime/pipeline-factory.ts). */
  writer: { datasource: string; kind: EngineKind; schema: string | null };
  /** setting.initialLoad: copy the existing rows before streaming (full, then incremental). */
  initialLoad: boolean;
  /**
   * setting.speed.concurrent: parallel apply lanes (the DataWorks job parallelism;
   * docs/target-checkpoint.md "Lanes"), 1 when absent.
   */
  lanes: number;
  setting: Record<string, unknown>;
  /** The script's own name: extend.name, else setting.name (CreateDISyncTask's default TaskName). */
  name: string | null;
  raw: Record<string, unknown>;
}

export class TaskContentError extends Error {}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const SHAPES: Record<string, string> = { realtime: '1.0', job: '2.0' };

/** Parses and validates a task script; throws TaskContentError saying which field is wrong. */
export function parseRealtimeTask(text: string): RealtimeTaskDefinition {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { throw new TaskContentError('task content is not valid JSON'); }
  if (!isObject(raw)) throw new TaskContentError('task content must be a JSON object');
  if (raw.type !== undefined && !Object.hasOwn(SHAPES, raw.type as string)) {
    throw new TaskContentError(`type must be "job" (version 2.0) or "realtime" (version 1.0) for DI_REALTIME, got ${JSON.stringify(raw.type)}`);
  }
  if (raw.version !== undefined && !Object.values(SHAPES).includes(raw.version as string)) {
    throw new TaskContentError(`version must be "2.0" or "1.0", got ${JSON.stringify(raw.version)}`);
  }
  const steps = raw.steps;
  if (!Array.isArray(steps) || steps.length === 0) throw new TaskContentError('steps must be a non-empty array of reader and writer steps');
  const readers = steps.filter((s) => isObject(s) && s.category === 'reader');
  const writers = steps.filter((s) => isObject(s) && s.category === 'writer');
  if (readers.length !== 1) throw new TaskContentError(`steps must hold exactly one step with category "reader", found ${readers.length}`);
  if (writers.length !== 1) throw new TaskContentError(`steps must hold exactly one step with category "writer", found ${writers.length}`);
  const setting = raw.setting === undefined ? {} : raw.setting;
  if (!isObject(setting)) throw new TaskContentError('setting must be an object');
  if (setting.initialLoad !== undefined && typeof setting.initialLoad !== 'boolean') throw new TaskContentError('setting.initialLoad must be true or false');
  if (raw.extend !== undefined && !isObject(raw.extend)) throw new TaskContentError('extend must be an object');
  checkHops(raw.order, steps);
  return {
    reader: parseReader(readers[0]), writer: parseWriter(writers[0]), initialLoad: setting.initialLoad === true, lanes: lanesOf(setting), setting,
    name: nameOf(raw.extend, 'extend.name') ?? nameOf(setting, 'setting.name'), raw,
  };
}

function nameOf(holder: unknown, where: string): string | null {
  const v = isObject(holder) ? holder.name : undefined;
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new TaskContentError(`${where} must be a string`);
  return v;
}

/** order.hops links steps by name; with one reader and one writer the only valid hop is reader -> writer. */
function checkHops(order: unknown, steps: unknown[]): void {
  if (order === undefined) return;
  if (!isObject(order) || (order.hops !== undefined && !Array.isArray(order.hops))) throw new TaskContentError('order must be {"hops": [{"from": ..., "to": ...}]}');
  const names = new Set(steps.map((s) => (isObject(s) && typeof s.name === 'string' ? s.name : undefined)).filter(Boolean));
  ((order.hops ?? []) as unknown[]).forEach((hop, i) => {
    if (!isObject(hop) || typeof hop.from !== 'string' || typeof hop.to !== 'string') throw new TaskContentError(`order.hops[${i}] must be {"from": "<step name>", "to": "<step name>"}`);
    for (const end of [hop.from, hop.to]) if (names.size > 0 && !names.has(end)) throw new TaskContentError(`order.hops[${i}] names ${JSON.stringify(end)}, which is not the name of a step`);
  });
}

function parseReader(step: Record<string, unknown>): RealtimeTaskDefinition['reader'] {
  const kind = stepKind(step, 'reader');
  const p = step.parameter;
  if (!isObject(p)) throw new TaskContentError('reader.parameter must be an object');
  const conns = p.connection;
  if (!Array.isArray(conns) || conns.length === 0) throw new TaskContentError('reader.parameter.connection must be a non-empty array');
  let datasource: string | undefined;
  const tables: NamedTable[] = [];
  conns.forEach((c, i) => {
    if (!isObject(c)) throw new TaskContentError(`reader.parameter.connection[${i}] must be an object`);
    const ds = c.datasource ?? p.datasource;
    if (typeof ds !== 'string' || ds === '') throw new TaskContentError(`reader.parameter.connection[${i}].datasource is required`);
    if (datasource !== undefined && ds !== datasource) throw new TaskContentError('all reader connections must use the same datasource');
    datasource = ds;
    if (c.datasourceType !== undefined && c.datasourceType !== kind) {
      throw new TaskContentError(`reader.parameter.connection[${i}].datasourceType ${JSON.stringify(c.datasourceType)} does not match stepType ${kind}`);
    }
    if (c.table !== undefined) {
      if (!Array.isArray(c.table)) throw new TaskContentError(`reader.parameter.connection[${i}].table must be an array of table names`);
      for (const t of c.table) tables.push(parseTableName(t, kind, `reader.parameter.connection[${i}].table`));
    }
    if (c.selectedTables !== undefined) tables.push(...parseSelectedTables(c.selectedTables, kind, i));
  });
  if (tables.length === 0) throw new TaskContentError('the reader selects no table: set connection[].table or connection[].selectedTables');
  rejectDuplicates(tables);
  return { datasource: datasource!, kind, tables, ...parsePublication(p.publication, kind) };
}

/** reader.parameter.publication (PostgreSQL): a publication name, as the server allows it (NAMEDATALEN - 1 bytes). */
function parsePublication(v: unknown, kind: EngineKind): { publication?: string } {
  if (v === undefined) return {};
  if (kind !== 'postgresql') throw new TaskContentError('reader.parameter.publication applies to PostgreSQL sources only');
  if (typeof v !== 'string' || v === '' || Buffer.byteLength(v) > 63 || /[\u0000-\u001f]/.test(v)) {
    throw new TaskContentError('reader.parameter.publication must be the name of a publication (1 to 63 bytes, no control characters)');
  }
  return { publication: v };
}

function parseSelectedTables(v: unknown, kind: EngineKind, i: number): NamedTable[] {
  const where = `reader.parameter.connection[${i}].selectedTables`;
  if (!Array.isArray(v)) throw new TaskContentError(`${where} must be an array`);
  const out: NamedTable[] = [];
  for (const db of v) {
    if (!isObject(db) || !Array.isArray(db.schema)) throw new TaskContentError(`${where}[].schema must be an array`);
    for (const s of db.schema) {
      if (!isObject(s) || !Array.isArray(s.tableInfos)) throw new TaskContentError(`${where}[].schema[].tableInfos must be an array`);
      // MySQL has no schemas: dbName is the database. An empty schemaName/dbName means "not given".
      const given = (x: unknown) => (typeof x === 'string' && x !== '' ? x : undefined);
      const schemaName = given(s.schemaName) ?? (kind === 'mysql' ? given(db.dbName) : undefined);
      for (const ti of s.tableInfos) {
        if (!isObject(ti) || typeof ti.table !== 'string') throw new TaskContentError(`${where}[].schema[].tableInfos[].table must be a string`);
        if (ti.enable === false) continue;
        out.push(parseTableName(schemaName ? `${schemaName}.${ti.table}` : ti.table, kind, where));
      }
    }
  }
  return out;
}

function parseWriter(step: Record<string, unknown>): RealtimeTaskDefinition['writer'] {
  const kind = stepKind(step, 'writer');
  const p = step.parameter;
  if (!isObject(p)) throw new TaskContentError('writer.parameter must be an object');
  if (typeof p.datasource !== 'string' || p.datasource === '') throw new TaskContentError('writer.parameter.datasource is required');
  if (p.schema !== undefined && (typeof p.schema !== 'string' || !IDENT.test(p.schema))) {
    throw new TaskContentError('writer.parameter.schema must be a schema (PostgreSQL) or database (MySQL) name');
  }
  return { datasource: p.datasource, kind, schema: p.schema ?? null };
}

function stepKind(step: Record<string, unknown>, role: string): EngineKind {
  const t = step.stepType;
  if (!(ENGINE_KINDS as readonly unknown[]).includes(t)) {
    throw new TaskContentError(`${role}.stepType must be one of ${ENGINE_KINDS.join(', ')}, got ${JSON.stringify(t)}`);
  }
  return t as EngineKind;
}

/**
 * "schema.table" or "table": PostgreSQL defaults to schema public; a MySQL table without its
 * database gets schema null, resolved against the data source's database by resolveReaderTables.
 */
export function parseTableName(v: unknown, kind: EngineKind, where: string): NamedTable {
  if (typeof v !== 'string') throw new TaskContentError(`${where} entries must be strings`);
  const parts = v.split('.');
  const [schema, table] = parts.length === 2 ? parts : parts.length === 1 ? [kind === 'postgresql' ? 'public' : null, parts[0]] : [];
  if (!table || !IDENT.test(table) || (schema !== null && (!schema || !IDENT.test(schema)))) {
    throw new TaskContentError(`${where}: ${JSON.stringify(v)} is not a valid table name (use [schema.]table with letters, digits, _ and $)`);
  }
  return { schema, table };
}

/**
 * The reader's tables with every MySQL table named without its database placed in `database`,
 * the database of the reader's data source (its jdbcUrl). The config check and the engine both
 * call this, so they see the same tables.
 */
export function resolveReaderTables(def: RealtimeTaskDefinition, database: string): TableRef[] {
  const tables = def.reader.tables.map((t) => ({ schema: t.schema ?? database, table: t.table }));
  rejectDuplicates(tables);
  return tables;
}

function rejectDuplicates(tables: NamedTable[]): void {
  const seen = new Set<string>();
  for (const t of tables) {
    const key = t.schema === null ? t.table : `${t.schema}.${t.table}`;
    if (seen.has(key)) throw new TaskContentError(`table ${key} is selected twice`);
    seen.add(key);
  }
}

/**
 * The stored TaskContent, in the cloud's shape (spec/dataworks-openapi.json,
 * QueryDISyncTaskConfigProcessResult TaskContent): type job, version 2.0, extend {mode,
 * resourceGroup, name}, the steps with the reader's tables listed explicitly (`resolved` when the
 * data source's database is known), and order.hops from the reader to the writer. Keys OpenDI
 * does not use (setting, extra step parameters) are kept.
 */
export function renderRealtimeTask(def: RealtimeTaskDefinition, options: { resolved?: TableRef[]; name?: string } = {}): string {
  const raw = def.raw as { steps: Record<string, unknown>[]; extend?: Record<string, unknown> };
  const tables = options.resolved ?? def.reader.tables;
  const steps = raw.steps.map((s): Record<string, unknown> => {
    const named = { ...s, name: typeof s.name === 'string' && s.name !== '' ? s.name : s.category };
    if (s.category !== 'reader') return named;
    const parameter = { ...(s.parameter as Record<string, unknown>) };
    parameter.connection = [{ datasourceType: def.reader.kind, datasource: def.reader.datasource, table: tables.map((t) => (t.schema === null ? t.table : `${t.schema}.${t.table}`)) }];
    return { ...named, parameter };
  });
  const stepName = (category: string) => steps.find((s) => s.category === category)!.name;
  const setting = def.setting;
  const extend = {
    ...raw.extend,
    // "wizard": the mode of real-time nodes built in the DataWorks console (README, "What is served").
    mode: raw.extend?.mode ?? 'wizard',
    resourceGroup: raw.extend?.resourceGroup ?? setting.resourceGroup ?? 'default',
    name: options.name ?? def.name ?? '',
  };
  return JSON.stringify({
    ...def.raw, type: 'job', version: '2.0', extend, setting, steps,
    order: { hops: [{ from: stepName('reader'), to: stepName('writer') }] },
  });
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** setting.speed.concurrent, checked when the task is created or updated (a 400), not when it starts. */
function lanesOf(setting: Record<string, unknown>): number {
  const speed = setting.speed;
  if (speed !== undefined && !isObject(speed)) throw new TaskContentError('setting.speed must be an object');
  const n = speed?.concurrent ?? 1;
  const value = typeof n === 'string' && /^\d+$/.test(n) ? Number(n) : n;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LANES) {
    throw new TaskContentError(`setting.speed.concurrent must be a whole number from 1 to ${MAX_LANES} (parallel apply lanes), not ${JSON.stringify(n)}`);
  }
  return value;
}
