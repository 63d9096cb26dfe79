/**
 * Maps (version, action) to a handler and the operation's spec. Registering an action the spec
 * does not describe fails at start-up, so every served action is decoded against its spec.
 * Unknown versions and actions get the gateway's answers (docs/design.md section 3): InvalidVersion
 * naming the versions served, InvalidAction.NotFound (404).
 */
import { actionNotFound, versionNotSupported } from './errors.ts';
import { loadOperationSpecs, type OperationSpec, type OperationSpecs } from './operation-spec.ts';

export interface ActionContext {
  requestId: string;
  principalId: string;
  accessKeyId: string;
  action: string;
  version: string;
  /** Decoded against the operation's spec (see decode-params.ts). */
  params: Record<string, unknown>;
}

/** Returns the response body without RequestId (the server adds it). */
export type ActionHandler = (ctx: ActionContext) => Promise<Record<string, unknown>>;

export interface ActionRegistry {
  register(version: string, action: string, handler: ActionHandler): void;
  resolve(version: string, action: string): { spec: OperationSpec; handler: ActionHandler };
  /** Versions with at least one registered action, sorted. */
  versions(): string[];
}

export function createActionRegistry(specs: OperationSpecs = loadOperationSpecs()): ActionRegistry {
  const served = new Map<string, Map<string, { spec: OperationSpec; handler: ActionHandler }>>();
  const versions = () => [...served.keys()].sort();
  return {
    register(version, action, handler) {
      const spec = specs.get(version)?.get(action);
      if (!spec) throw new Error(`cannot register ${action} (${version}): it is not in spec/dataworks-openapi.json`);
      let byAction = served.get(version);
      if (!byAction) served.set(version, byAction = new Map());
      if (byAction.has(action)) throw new Error(`${action} (${version}) is registered twice`);
      byAction.set(action, { spec, handler });
    },
    resolve(version, action) {
      const byAction = served.get(version);
      if (!byAction) throw versionNotSupported(version, versions());
      const entry = byAction.get(action);
      if (!entry) throw actionNotFound(action);
      return entry;
    },
    versions,
  };
}
