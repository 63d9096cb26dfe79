/**
 * FileSpec, the "script mode" of CreateDIJob/UpdateDIJob (README, "The 2024-05-18 DI Job API"): the
 * whole job as one camelCase JSON document, with `ruleExpression` and `channelSettings` inlined
 * as objects and `timeZone` spelled so. Converted here to the structured (PascalCase) form, so one
 * validator checks both; paths in errors start with `FileSpec.`.
 */
import { JobInputError } from './job-document.ts';
import { isObject, type Json } from './json-input.ts';

const SPECIAL: Record<string, string> = { timeZone: 'Timezone', jobName: 'JobName', name: 'Name' };
/** Values the structured form carries as JSON strings. */
const AS_STRING = new Set(['RuleExpression', 'ChannelSettings']);
const MAX_FILE_SPEC = 1 << 20;

export function parseFileSpec(text: string): Json {
  if (text.length > MAX_FILE_SPEC) throw new JobInputError('FileSpec', `is larger than ${MAX_FILE_SPEC} characters`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new JobInputError('FileSpec', `is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(raw)) throw new JobInputError('FileSpec', 'must be a JSON object');
  return pascal(raw) as Json;
}

function pascal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pascal);
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const [k, value] of Object.entries(v)) {
    const key = SPECIAL[k] ?? (k.length > 0 ? k[0].toUpperCase() + k.slice(1) : k);
    out[key] = AS_STRING.has(key) && (isObject(value) || Array.isArray(value)) ? JSON.stringify(value) : pascal(value);
  }
  return out;
}
