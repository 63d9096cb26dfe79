/**
 * Spec-driven parameter decoding (docs/design.md sections 3 and 6: validate at the edge, then work with
 * typed values). The query string and the form body are read together: the official SDKs put a
 * parameter where spec/dataworks-openapi.json says, other clients anywhere, so either place is
 * accepted for every parameter, but one name in both places is ambiguous and rejected.
 * Nested values (arrays, objects) arrive as one JSON string or flattened the way openapi-core's
 * `OpenApiUtil.query` flattens them (`Tags.1.Key=...`, 1-based); both decode to the same value.
 */
import { paramInvalid, paramMissing } from './errors.ts';
import type { OperationSpec, ParamSpec } from './operation-spec.ts';
import { MAX_FLATTENED_DEPTH, MAX_SPEC_LENGTH, checkJsonDepth, checkText } from './field-limits.ts';

export type { OperationSpec, ParamSpec } from './operation-spec.ts';

/** Parameters the RPC clients add to every call (signing, SDK plumbing): not the action's own. */
export const COMMON_PARAMS: ReadonlySet<string> = new Set([
  'Action', 'Version', 'Format', 'Timestamp', 'SignatureNonce', 'SignatureMethod', 'SignatureVersion',
  'AccessKeyId', 'Signature', 'SecurityToken', 'SignatureType', 'BearerToken', 'RegionId',
]);

type FlatTree = { [segment: string]: FlatTree | string };

/**
 * A top-level name the spec does not list is ignored and reported to `onIgnored` (the caller logs
 * it at debug): the cloud's gateway is believed to ignore unknown parameters, and older SDK builds
 * send deprecated ones (README, "What is served"). Unknown fields inside a known
 * parameter are still refused, since there a typo would change the meaning.
 */
export function decodeParams(op: OperationSpec, query: Record<string, string>, body: Record<string, string>, onIgnored?: (name: string) => void): Record<string, unknown> {
  const isOwn = (name: string) => Object.hasOwn(op.request, name);
  const raw = new Map<string, string>();
  for (const source of [query, body]) {
    for (const [name, value] of Object.entries(source)) {
      if (COMMON_PARAMS.has(name) && !isOwn(name)) continue;
      if (raw.has(name)) throw paramInvalid(name, 'appears both in the query string and in the form body');
      raw.set(name, value);
    }
  }

  // Group flattened names (Tags.1.Key) under their top-level parameter.
  const groups = new Map<string, { whole?: string; flat: [string[], string][] }>();
  for (const [name, value] of raw) {
    const [top, ...path] = name.split('.');
    const spec = isOwn(top) ? op.request[top] : undefined;
    if (!spec) { onIgnored?.(name.slice(0, 200)); continue; }
    if (path.length > 0 && !isNested(spec)) throw paramInvalid(name.slice(0, 200), `is not a parameter of ${op.action} (${op.version})`);
    // Bounded before anything recursive walks it (field-limits.ts).
    if (path.length > MAX_FLATTENED_DEPTH) throw paramInvalid(top, `is flattened deeper than ${MAX_FLATTENED_DEPTH} levels`);
    if (path.length > 0 || !isNested(spec)) checkText(name, top, value);
    else if (value.length > MAX_SPEC_LENGTH) throw paramInvalid(top, `must be at most ${MAX_SPEC_LENGTH} characters`);
    else checkJsonDepth(top, value);
    const group = groups.get(top) ?? { flat: [] };
    if (path.length === 0) group.whole = value;
    else group.flat.push([path, value]);
    groups.set(top, group);
  }

  const out: Record<string, unknown> = {};
  for (const [name, group] of groups) {
    const spec = op.request[name];
    if (group.whole !== undefined && group.flat.length > 0) throw paramInvalid(name, 'is sent both as one value and flattened');
    const value = group.whole !== undefined ? decodeWhole(name, spec, group.whole) : coerce(name, spec, toArrays(name, buildTree(name, group.flat)), 'flat');
    if (value !== undefined) out[name] = value;
  }
  for (const [name, spec] of Object.entries(op.request)) {
    if (spec.required && (out[name] === undefined || out[name] === '')) throw paramMissing(name);
  }
  return out;
}

function isNested(spec: ParamSpec): boolean {
  return spec.type === 'object' || spec.type === 'array' || spec.type === 'string[]';
}

/** A top-level value as sent. An empty value of a non-string optional parameter counts as absent. */
function decodeWhole(name: string, spec: ParamSpec, text: string): unknown {
  if (text === '' && spec.type !== 'string') return undefined;
  switch (spec.type) {
    case 'string':
      return text;
    case 'number':
      // Spec "number" parameters are longs (ProjectId, FileId, ...): digits only, exact in a double.
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw paramInvalid(name, 'must be an integer');
      return Number(text);
    case 'boolean':
      return coerce(name, spec, text, 'flat');
    default: {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // A string list may also come comma-separated (openapi-core's "simple" array style).
        if (spec.type === 'string[]') return text.split(',');
        throw paramInvalid(name, `must be a JSON ${spec.type === 'object' ? 'object' : 'array'} or sent flattened (${name}.1...)`);
      }
      return coerce(name, spec, value, 'json');
    }
  }
}

/**
 * How an error names a place inside a nested value: as the client wrote it. Inside a JSON string,
 * JSON style (`TableMappings[0].SourceObjectSelectionRules[1].ExpressionType`); flattened, the wire
 * name (`TableMappings.1.SourceObjectSelectionRules.2.ExpressionType`, 1-based).
 */
type PathStyle = 'json' | 'flat';
const itemPath = (path: string, i: number, style: PathStyle) => (style === 'json' ? `${path}[${i}]` : `${path}.${i + 1}`);

/** Checks a decoded value against its spec; flattened leaves are strings, so scalars convert from text. */
function coerce(path: string, spec: ParamSpec, v: unknown, style: PathStyle): unknown {
  switch (spec.type) {
    case 'string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw paramInvalid(path, 'must be a string');
    case 'number':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && Number.isFinite(Number(v))) return Number(v);
      throw paramInvalid(path, 'must be a number');
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
      throw paramInvalid(path, 'must be true or false');
    case 'string[]':
      if (!Array.isArray(v)) throw paramInvalid(path, 'must be a list');
      return v.map((item, i) => coerce(itemPath(path, i, style), { type: 'string' }, item, style));
    case 'array':
      if (!Array.isArray(v)) throw paramInvalid(path, 'must be a list');
      return spec.fields ? v.map((item, i) => coerceObject(itemPath(path, i, style), spec.fields!, item, style)) : v;
    case 'object':
      if (spec.fields) return coerceObject(path, spec.fields, v, style);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw paramInvalid(path, 'must be an object');
      return v;
  }
}

function coerceObject(path: string, fields: Record<string, ParamSpec>, v: unknown, style: PathStyle): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw paramInvalid(path, 'must be an object');
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(v)) {
    if (!Object.hasOwn(fields, k)) throw paramInvalid(`${path}.${k}`, 'is not a known field');
    if (value !== null && value !== undefined) out[k] = coerce(`${path}.${k}`, fields[k], value, style);
  }
  for (const [k, field] of Object.entries(fields)) {
    if (field.required && (out[k] === undefined || out[k] === '')) throw paramMissing(`${path}.${k}`);
  }
  return out;
}

/** `Tags.1.Key=a` -> {1: {Key: 'a'}}; prototype-free nodes, so no name can reach Object.prototype. */
function buildTree(name: string, flat: [string[], string][]): FlatTree {
  const root: FlatTree = Object.create(null);
  for (const [path, value] of flat) {
    const full = `${name}.${path.join('.')}`;
    let node = root;
    path.forEach((segment, i) => {
      if (segment === '') throw paramInvalid(full, 'is not a valid flattened name');
      const existing = node[segment];
      if (i === path.length - 1) {
        if (existing !== undefined) throw paramInvalid(full, 'conflicts with another flattened name');
        node[segment] = value;
        return;
      }
      if (typeof existing === 'string') throw paramInvalid(full, 'conflicts with another flattened name');
      node = existing ?? (node[segment] = Object.create(null) as FlatTree);
    });
  }
  return root;
}

/** Nodes whose keys are all 1-based indexes become lists in index order (openapi-core numbers list items from 1). */
function toArrays(path: string, node: FlatTree | string): unknown {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    const bad = keys.find((k) => !/^[1-9]\d*$/.test(k));
    if (bad !== undefined) throw paramInvalid(`${path}.${bad}`, 'is not a valid list index (lists count from 1)');
    return keys.map(Number).sort((a, b) => a - b).map((i) => toArrays(`${path}.${i}`, node[String(i)]));
  }
  return Object.fromEntries(keys.map((k) => [k, toArrays(`${path}.${k}`, node[k])]));
}
