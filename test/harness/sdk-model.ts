/**
 * Checks an answer against the response model of the official SDK, as spec/dataworks-openapi.json
 * records it: every field the model names must have the model's JSON type (the SDK throws
 * "type of X is mismatch" otherwise), and `extras` lists the fields the model does not name (the
 * SDK drops them, so SDK users never see them).
 */
import fs from 'node:fs';
import assert from 'node:assert/strict';

interface FieldSpec { type: string; fields?: Record<string, FieldSpec> }
const SPEC = JSON.parse(fs.readFileSync(new URL('../../spec/dataworks-openapi.json', import.meta.url), 'utf8'));

export function modelProblems(action: string, body: unknown, version = '2020-05-18'): { mismatches: string[]; extras: string[] } {
  const model = SPEC[version]?.[action]?.response as Record<string, FieldSpec> | undefined;
  if (!model) throw new Error(`no response model for ${version} ${action}`);
  const out = { mismatches: [] as string[], extras: [] as string[] };
  checkObject(model, body, '', out);
  return out;
}

/** Asserts no field has a type the SDK would reject; returns the extra fields. */
export function assertMatchesModel(action: string, body: unknown, version?: string): string[] {
  const { mismatches, extras } = modelProblems(action, body, version);
  assert.deepEqual(mismatches, [], `${action}: fields with the wrong JSON type`);
  return extras;
}

function checkObject(fields: Record<string, FieldSpec>, v: unknown, path: string, out: { mismatches: string[]; extras: string[] }): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) { out.mismatches.push(`${path || '(body)'}: expected an object`); return; }
  for (const [k, value] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    if (!Object.hasOwn(fields, k)) out.extras.push(p);
    else checkValue(fields[k], value, p, out);
  }
}

function checkValue(spec: FieldSpec, v: unknown, path: string, out: { mismatches: string[]; extras: string[] }): void {
  if (v === null || v === undefined) return; // the SDK skips absent and null fields
  const fail = (what: string) => out.mismatches.push(`${path}: expected ${what}, got ${JSON.stringify(v).slice(0, 80)}`);
  switch (spec.type) {
    case 'string': if (typeof v !== 'string') fail('a string'); return;
    case 'number': if (typeof v !== 'number') fail('a number'); return;
    case 'boolean': if (typeof v !== 'boolean') fail('a boolean'); return;
    case 'string[]': if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail('a list of strings'); return;
    case 'array':
      if (!Array.isArray(v)) { fail('a list'); return; }
      if (spec.fields) v.forEach((item, i) => checkObject(spec.fields!, item, `${path}[${i}]`, out));
      return;
    case 'object':
      if (spec.fields) checkObject(spec.fields, v, path, out);
      else if (typeof v !== 'object' || Array.isArray(v)) fail('an object');
      return;
    default: return; // any / map
  }
}
