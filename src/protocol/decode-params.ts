/**
 * Spec-driven parameter decoding: the query string and the form body together (either place is
 * accepted for any parameter), checked against the operation's spec, returned as typed values.
 * Nested values arrive as one JSON string or flattened `Tags.1.Key=...` (1-based); both decode.
 */
import { paramInvalid, paramMissing } from './errors.ts';
import type { OperationSpec, ParamSpec } from './operation-spec.ts';

/** Parameters the RPC client adds to every call (V2 signing, SDK plumbing): not the action's own. */
export const COMMON_PARAMS = new Set([
  'Action', 'Version', 'Format', 'Timestamp', 'SignatureNonce', 'SignatureMethod', 'SignatureVersion',
  'AccessKeyId', 'Signature', 'SecurityToken', 'SignatureType', 'BearerToken', 'RegionId',
]);

export function decodeParams(op: OperationSpec, query: Record<string, string>, body: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (!COMMON_PARAMS.has(k)) raw[k] = v;
  for (const [k, v] of Object.entries(body)) {
    if (COMMON_PARAMS.has(k)) continue;
    if (k in raw) throw paramInvalid(k, 'is sent both in the query string and in the body');
    raw[k] = v;
  }
  // Group flattened names (Tags.1.Key) under their top-level parameter.
  const grouped = new Map<string, { whole?: string; flat: [string[], string][] }>();
  for (const [name, value] of Object.entries(raw)) {
    const [top, ...rest] = name.split('.');
    const entry = grouped.get(top) ?? { flat: [] };
    if (rest.length === 0) entry.whole = value;
    else entry.flat.push([rest, value]);
    grouped.set(top, entry);
  }
  const out: Record<string, unknown> = {};
  for (const [name, entry] of grouped) {
    const spec = op.request[name];
    if (!spec) throw paramInvalid(name, `is not a parameter of ${op.action} (${op.version})`);
    if (entry.whole !== undefined && entry.flat.length > 0) throw paramInvalid(name, 'is sent both whole and flattened');
    out[name] = entry.whole !== undefined ? decodeValue(name, spec, entry.whole) : decodeFlat(name, spec, entry.flat);
  }
  for (const [name, spec] of Object.entries(op.request)) {
    if (spec.required && (out[name] === undefined || out[name] === '')) throw paramMissing(name);
  }
  return out;
}

function decodeValue(name: string, spec: ParamSpec, text: string): unknown {
  switch (spec.type) {
    case 'number': {
      if (!/^-?\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) throw paramInvalid(name, `must be an integer, got ${quote(text)}`);
      return Number(text);
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (t !== 'true' && t !== 'false') throw paramInvalid(name, `must be true or false, got ${quote(text)}`);
      return t === 'true';
    }
    case 'string':
      return text;
    default: {
      let v: unknown;
      try { v = JSON.parse(text); } catch { throw paramInvalid(name, 'must be a JSON value'); }
      return checkShape(name, spec, v);
    }
  }
}

function decodeFlat(name: string, spec: ParamSpec, flat: [string[], string][]): unknown {
  const root: Record<string, unknown> = {};
  for (const [path, value] of flat) {
    let node = root;
    path.forEach((seg, i) => {
      if (seg === '' || seg === '__proto__' || seg === 'constructor' || seg === 'prototype') throw paramInvalid(`${name}.${path.join('.')}`, 'is not a valid flattened name');
      if (i === path.length - 1) node[seg] = value;
      else node = (node[seg] ??= {}) as Record<string, unknown>;
    });
  }
  return checkShape(name, spec, toArrays(name, root));
}

/** Objects whose keys are all 1-based indexes become arrays in index order. */
function toArrays(name: string, v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    const idx = keys.map(Number).sort((a, b) => a - b);
    if (idx[0] !== 1 || idx[idx.length - 1] !== idx.length) throw paramInvalid(name, 'flattened indexes must run 1, 2, 3 ...');
    return idx.map((i) => toArrays(name, obj[String(i)]));
  }
  return Object.fromEntries(keys.map((k) => [k, toArrays(name, obj[k])]));
}

function checkShape(name: string, spec: ParamSpec, v: unknown): unknown {
  if (spec.type === 'array' || spec.type === 'string[]') {
    if (!Array.isArray(v)) throw paramInvalid(name, 'must be a list');
    return v.map((item, i) => (spec.fields ? checkFields(`${name}.${i + 1}`, spec.fields, item) : item));
  }
  if (spec.type === 'object') return spec.fields ? checkFields(name, spec.fields, v) : v;
  return v;
}

function checkFields(name: string, fields: Record<string, ParamSpec>, v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw paramInvalid(name, 'must be an object');
  const obj = v as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!fields[k]) throw paramInvalid(`${name}.${k}`, 'is not a known field');
  for (const [k, f] of Object.entries(fields)) {
    if (f.required && (obj[k] === undefined || obj[k] === '')) throw paramMissing(`${name}.${k}`);
    if (obj[k] !== undefined && f.type === 'string' && typeof obj[k] !== 'string') throw paramInvalid(`${name}.${k}`, 'must be a string');
  }
  return obj;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
}
