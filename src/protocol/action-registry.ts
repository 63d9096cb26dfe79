/**
 * Maps (version, action) to a handler and the operation's spec. Registering an action the spec
 * does not describe fails at start-up, so every served action is checked against the spec.
 */
import { actionNotFound, versionNotSupported } from './errors.ts';
import { loadOperationSpecs, type OperationSpec } from './operation-spec.ts';

export interface ActionContext {
  requestId: string;
  principalId: string;
  accessKeyId: string;
  action: string;
  version: string;
  params: Record<string, unknown>;
}

/** Returns the response body without RequestId (the server adds it). */
export type ActionHandler = (ctx: ActionContext) => Promise<Record<string, unknown>>;

export interface ActionRegistry {
  register(version: string, action: string, handler: ActionHandler): void;
  resolve(version: string, action: string): { spec: OperationSpec; handler: ActionHandler };
}

export function createActionRegistry(): ActionRegistry {
  const specs = loadOperationSpecs();
  const handlers = new Map<string, ActionHandler>();
  const servedVersions = () => [...new Set([...handlers.keys()].map((k) => k.split(' ')[0]))].sort();
  return {
    register(version, action, handler) {
      if (!specs.get(version)?.get(action)) throw new Error(`${action} (${version}) is not in spec/dataworks-openapi.json`);
      handlers.set(`${version} ${action}`, handler);
    },
    resolve(version, action) {
      if (!servedVersions().includes(version)) throw versionNotSupported(version, servedVersions());
      const handler = handlers.get(`${version} ${action}`);
      if (!handler) throw actionNotFound(action);
      return { spec: specs.get(version)!.get(action)!, handler };
    },
  };
}
