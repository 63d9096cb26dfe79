/**
 * Maps (version, action) to a handler and the operation's spec. Registering an action the spec
 * does not describe is a type error (the operation names and parameter types are generated from
 * the spec: src/generated/params.ts) and fails at start-up too, so every served action is decoded
 * against its spec and each handler receives its operation's decoded parameters.
 * Unknown versions and actions get the gateway's answers (docs/design.md section 3): InvalidVersion
 * naming the versions served, InvalidAction.NotFound (404).
 */
import { actionNotFound, versionNotSupported } from './errors.ts';
import { loadOperationSpecs, type OperationSpec, type OperationSpecs } from './operation-spec.ts';
import type { ApiVersion, OperationName, ParamsOf } from '../generated/params.ts';

export interface ActionContext<P = Record<string, unknown>> {
  requestId: string;
  principalId: string;
  accessKeyId: string;
  action: string;
  version: string;
  /** Decoded against the operation's spec (see decode-params.ts). */
  params: P;
}

/** Returns the response body without RequestId (the server adds it). */
export type ActionHandler<P = Record<string, unknown>> = (ctx: ActionContext<P>) => Promise<Record<string, unknown>>;

export interface ActionRegistry {
  register<V extends ApiVersion, A extends OperationName<V>>(version: V, action: A, handler: ActionHandler<ParamsOf<V, A>>): void;
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
      // The one place the typed handler meets the untyped request: decodeParams checks the
      // parameters against this same spec, and ParamsOf<V, A> is generated from it.
      byAction.set(action, { spec, handler: handler as ActionHandler });
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
