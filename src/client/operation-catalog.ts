/** Which version of an operation a call uses, from the same spec the server validates against. */
import { loadOperationSpecs, type OperationSpec, type OperationSpecs } from '../protocol/operation-spec.ts';

let specs: OperationSpecs | undefined;

/** The operation, in the given version or else the oldest version that has it. */
export function loadOperationSpec(action: string, version?: string): OperationSpec {
  specs ??= loadOperationSpecs();
  const candidates = version ? [version] : [...specs.keys()].sort();
  for (const v of candidates) {
    const op = specs.get(v)?.get(action);
    if (op) return op;
  }
  throw new Error(`unknown action ${action}${version ? ` in version ${version}` : ''}`);
}
