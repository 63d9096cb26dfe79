/**
 * Checks for the nested values of a job definition. Every failure is a JobInputError whose path
 * names the parameter and the place inside it, JSON style (`TableMappings[0].SourceObjectSelectionRules[1].ExpressionType`).
 */
import { JobInputError } from './job-document.ts';
import { isObject } from '../task-content.ts';

export { isObject };
export type Json = Record<string, unknown>;

export function expectObject(v: unknown, path: string, known?: readonly string[]): Json {
  if (!isObject(v)) throw new JobInputError(path, 'must be an object');
  if (known) {
    for (const k of Object.keys(v)) if (!known.includes(k)) throw new JobInputError(`${path}.${k}`, `is not a known field (known: ${known.join(', ')})`);
  }
  return v;
}

export function expectArray(v: unknown, path: string, opts: { min?: number; max?: number } = {}): unknown[] {
  if (!Array.isArray(v)) throw new JobInputError(path, 'must be a list');
  if (opts.min !== undefined && v.length < opts.min) throw new JobInputError(path, opts.min === 1 ? 'must not be empty' : `must hold at least ${opts.min} entries`);
  if (opts.max !== undefined && v.length > opts.max) throw new JobInputError(path, `holds ${v.length} entries; at most ${opts.max} are supported`);
  return v;
}

/** Strings; numbers and booleans are taken as their text (the SDK sends them so in flattened form). */
export function expectString(v: unknown, path: string, opts: { optional?: boolean; max?: number; nonEmpty?: boolean } = {}): string | undefined {
  if (v === undefined || v === null) {
    if (opts.optional) return undefined;
    throw new JobInputError(path, 'is required');
  }
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  if (s === undefined) throw new JobInputError(path, 'must be a string');
  if ((opts.nonEmpty ?? !opts.optional) && s.trim() === '') throw new JobInputError(path, 'must not be empty');
  if (opts.max !== undefined && s.length > opts.max) throw new JobInputError(path, `is longer than ${opts.max} characters`);
  return s;
}

export function requireString(v: unknown, path: string, max?: number): string {
  return expectString(v, path, { max })!;
}

/** One of `values`, compared case-insensitively; returns the canonical spelling. */
export function expectEnum<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  const s = requireString(v, path);
  const found = values.find((x) => x.toLowerCase() === s.toLowerCase());
  if (!found) throw new JobInputError(path, `must be one of ${values.join(', ')}; got ${JSON.stringify(s)}`);
  return found;
}

/** A JSON document carried in a string field (RuleExpression, ChannelSettings); objects are accepted as they are. */
export function parseJsonText(v: unknown, path: string): unknown {
  if (typeof v !== 'string') {
    if (isObject(v) || Array.isArray(v)) return v;
    throw new JobInputError(path, 'must be a string holding JSON');
  }
  try {
    return JSON.parse(v);
  } catch (err) {
    throw new JobInputError(path, `is not valid JSON (${(err as Error).message})`);
  }
}

export function wholeNumber(v: unknown, path: string, min: number): number {
  const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) throw new JobInputError(path, `must be a whole number >= ${min}`);
  return n;
}

/** Rejects a second entry with the same key; `what` names the key in the message. */
export function rejectDuplicates<T>(items: T[], keyOf: (item: T) => string, path: (i: number) => string, what: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = keyOf(item);
    const first = seen.get(k);
    if (first !== undefined) throw new JobInputError(path(i), `repeats ${what} of entry [${first}]`);
    seen.set(k, i);
  });
}
