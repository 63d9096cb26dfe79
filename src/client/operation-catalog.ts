/** Reads spec/dataworks-openapi.json, the wire description of every operation in scope. */
import fs from 'node:fs';

export interface OperationEntry { version: string; method: string; queryParams: string[]; bodyParams: string[] }

const SPEC_URL = new URL('../../spec/dataworks-openapi.json', import.meta.url);
let spec: Record<string, Record<string, OperationEntry>> | undefined;

function load(): Record<string, Record<string, OperationEntry>> {
  spec ??= JSON.parse(fs.readFileSync(SPEC_URL, 'utf8'));
  return spec!;
}

/** The operation, in the given version or else the only / oldest version that has it. */
export function loadOperationSpec(action: string, version?: string): OperationEntry {
  const versions = Object.keys(load()).filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v)).sort();
  const candidates = version ? [version] : versions;
  for (const v of candidates) {
    const op = load()[v]?.[action];
    if (op) return { ...op, version: v };
  }
  throw new Error(`unknown action ${action}${version ? ` in version ${version}` : ''}`);
}
