/**
 * The wire description of the operations in scope (spec/dataworks-openapi.json): per version and
 * action, its parameters with types and required flags, and where the official SDK sends each one
 * (queryParams / bodyParams / jsonStringParams). Loaded and checked once at start-up; a parameter
 * type this edge cannot decode fails loudly here, not on the first request.
 */
import fs from 'node:fs';

export const PARAM_TYPES = ['number', 'string', 'boolean', 'object', 'array', 'string[]'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export interface ParamSpec {
  type: ParamType;
  required?: boolean;
  fields?: Record<string, ParamSpec>;
  /** OpenDI's remark on a parameter (e.g. an alias it accepts); scripts/gen-params.ts copies it into the generated types. */
  note?: string;
}

export interface OperationSpec {
  version: string;
  action: string;
  method: string;
  queryParams: string[];
  bodyParams: string[];
  jsonStringParams: string[];
  request: Record<string, ParamSpec>;
  /** "OpenDI" for an operation the cloud API does not have (an extension OpenDI serves). */
  extension?: string;
  note?: string;
}

/** version -> action -> spec */
export type OperationSpecs = ReadonlyMap<string, ReadonlyMap<string, OperationSpec>>;

const SPEC_URL = new URL('../../spec/dataworks-openapi.json', import.meta.url);

export function loadOperationSpecs(url: URL = SPEC_URL): OperationSpecs {
  const file = JSON.parse(fs.readFileSync(url, 'utf8')) as Record<string, unknown>;
  const out = new Map<string, Map<string, OperationSpec>>();
  for (const [version, ops] of Object.entries(file)) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(version)) continue; // e.g. "note"
    const byAction = new Map<string, OperationSpec>();
    for (const [action, op] of Object.entries(ops as Record<string, Omit<OperationSpec, 'action' | 'version'>>)) {
      for (const [name, param] of Object.entries(op.request)) checkParamSpec(`${version} ${action} ${name}`, param);
      byAction.set(action, { ...op, version, action });
    }
    out.set(version, byAction);
  }
  return out;
}

function checkParamSpec(where: string, p: ParamSpec): void {
  if (!(PARAM_TYPES as readonly string[]).includes(p.type)) throw new Error(`spec: ${where} has unsupported type ${JSON.stringify(p.type)}`);
  for (const [name, field] of Object.entries(p.fields ?? {})) checkParamSpec(`${where}.${name}`, field);
}
