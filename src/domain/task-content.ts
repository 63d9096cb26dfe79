/**
 * The task script of a DI_REALTIME task (docs/design.md section 2):
 * {"type":"realtime","version":"1.0","setting":{...},"steps":[reader, writer]}, where the reader's
 * parameter.connection[] names a data source and its tables either as `table: ["schema.t"]` or as
 * `selectedTables: [{dbName, schema: [{schemaName?, tableInfos: [{table}]}]}]`, and the writer's
 * parameter names its `datasource`.
 */
import { ENGINE_KINDS, type EngineKind } from './jdbc-url.ts';

export interface TableRef { schema: string; table: string }

export interface RealtimeTaskDefinition {
  /** publication: a PostgreSQL publication the DBA created (parameter.publication); absent: the task creates its own. */
  reader: { datasource: string; kind: EngineKind; tables: TableRef[]; publication?: string };
  /** schema: where the target tables go (default: see runtime/pipeline-factory.ts). */
  writer: { datasource: string; kind: EngineKind; schema: string | null };
  /** setting.initialLoad: copy the existing rows before streaming (full, then incremental). */
  initialLoad: boolean;
  setting: Record<string, unknown>;
  raw: Record<string, unknown>;
}

export class TaskContentError extends Error {}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** Parses and validates a task script; throws TaskContentError saying which field is wrong. */
export function parseRealtimeTask(text: string): RealtimeTaskDefinition {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { throw new TaskContentError('task content is not valid JSON'); }
  if (!isObject(raw)) throw new TaskContentError('task content must be a JSON object');
  if (raw.type !== undefined && raw.type !== 'realtime') throw new TaskContentError(`type must be "realtime" for DI_REALTIME, got ${JSON.stringify(raw.type)}`);
  const steps = raw.steps;
  if (!Array.isArray(steps) || steps.length === 0) throw new TaskContentError('steps must be a non-empty array of reader and writer steps');
  const readers = steps.filter((s) => isObject(s) && s.category === 'reader');
  const writers = steps.filter((s) => isObject(s) && s.category === 'writer');
  if (readers.length !== 1) throw new TaskContentError(`steps must hold exactly one step with category "reader", found ${readers.length}`);
  if (writers.length !== 1) throw new TaskContentError(`steps must hold exactly one step with category "writer", found ${writers.length}`);
  const setting = raw.setting === undefined ? {} : raw.setting;
  if (!isObject(setting)) throw new TaskContentError('setting must be an object');
  if (setting.initialLoad !== undefined && typeof setting.initialLoad !== 'boolean') throw new TaskContentError('setting.initialLoad must be true or false');
  return { reader: parseReader(readers[0]), writer: parseWriter(writers[0]), initialLoad: setting.initialLoad === true, setting, raw };
}

function parseReader(step: Record<string, unknown>): RealtimeTaskDefinition['reader'] {
  const kind = stepKind(step, 'reader');
  const p = step.parameter;
  if (!isObject(p)) throw new TaskContentError('reader.parameter must be an object');
  const conns = p.connection;
  if (!Array.isArray(conns) || conns.length === 0) throw new TaskContentError('reader.parameter.connection must be a non-empty array');
  let datasource: string | undefined;
  const tables: TableRef[] = [];
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
  const seen = new Set<string>();
  for (const t of tables) {
    const key = `${t.schema}.${t.table}`;
    if (seen.has(key)) throw new TaskContentError(`table ${key} is selected twice`);
    seen.add(key);
  }
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

function parseSelectedTables(v: unknown, kind: EngineKind, i: number): TableRef[] {
  const where = `reader.parameter.connection[${i}].selectedTables`;
  if (!Array.isArray(v)) throw new TaskContentError(`${where} must be an array`);
  const out: TableRef[] = [];
  for (const db of v) {
    if (!isObject(db) || !Array.isArray(db.schema)) throw new TaskContentError(`${where}[].schema must be an array`);
    for (const s of db.schema) {
      if (!isObject(s) || !Array.isArray(s.tableInfos)) throw new TaskContentError(`${where}[].schema[].tableInfos must be an array`);
      const schemaName = typeof s.schemaName === 'string' ? s.schemaName : kind === 'mysql' && typeof db.dbName === 'string' ? db.dbName : undefined;
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

/** "schema.table" or "table" (PostgreSQL defaults to schema public; MySQL needs the database). */
export function parseTableName(v: unknown, kind: EngineKind, where: string): TableRef {
  if (typeof v !== 'string') throw new TaskContentError(`${where} entries must be strings`);
  const parts = v.split('.');
  const [schema, table] = parts.length === 2 ? parts : parts.length === 1 && kind === 'postgresql' ? ['public', parts[0]] : [];
  if (!schema || !table || !IDENT.test(schema) || !IDENT.test(table)) {
    throw new TaskContentError(`${where}: ${JSON.stringify(v)} is not a valid table name (use schema.table with letters, digits, _ and $)`);
  }
  return { schema, table };
}

/** The normalized script stored as TaskContent: explicit schema-qualified tables. */
export function renderRealtimeTask(def: RealtimeTaskDefinition): string {
  const raw = def.raw as { steps: Record<string, unknown>[] };
  const steps = raw.steps.map((s) => {
    if (s.category !== 'reader') return s;
    const parameter = { ...(s.parameter as Record<string, unknown>) };
    parameter.connection = [{ datasourceType: def.reader.kind, datasource: def.reader.datasource, table: def.reader.tables.map((t) => `${t.schema}.${t.table}`) }];
    return { ...s, parameter };
  });
  return JSON.stringify({ type: 'realtime', version: '1.0', ...def.raw, setting: def.setting, steps });
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
