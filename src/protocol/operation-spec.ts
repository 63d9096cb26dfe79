/**
 * The wire description of the operations in scope (spec/dataworks-openapi.json): per version
 * and action, its parameters with their types and required flags.
 */
import fs from 'node:fs';

export type ParamType = 'number' | 'string' | 'boolean' | 'object' | 'array' | 'string[]';

export interface ParamSpec { type: ParamType; required?: boolean; fields?: Record<string, ParamSpec> }

export interface OperationSpec {
  version: string;
  action: string;
  method: string;
  queryParams: string[];
  bodyParams: string[];
  jsonStringParams: string[];
  request: Record<string, ParamSpec>;
}

type SpecFile = Record<string, Record<string, Omit<OperationSpec, 'action'>> | string>;

const SPEC_URL = new URL('../../spec/dataworks-openapi.json', import.meta.url);

export function loadOperationSpecs(): Map<string, Map<string, OperationSpec>> {
  const file = JSON.parse(fs.readFileSync(SPEC_URL, 'utf8')) as SpecFile;
  const out = new Map<string, Map<string, OperationSpec>>();
  for (const [version, ops] of Object.entries(file)) {
    if (typeof ops !== 'object') continue;
    const byAction = new Map<string, OperationSpec>();
    for (const [action, op] of Object.entries(ops)) byAction.set(action, { ...op, version, action });
    out.set(version, byAction);
  }
  return out;
}
