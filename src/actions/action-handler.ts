/**
 * An action handler: typed dependencies and the decoded request in, the response body (without
 * RequestId) out. `Action<'2020-05-18', 'CreateProject'>` receives that operation's parameters as
 * the spec declares them (src/generated/params.ts), so a misspelt parameter name is a type error.
 */
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ApiVersion, OperationName, ParamsOf } from '../generated/params.ts';
import type { ActionDeps } from './action-deps.ts';

export type ActionHandler<P = Record<string, unknown>> = (deps: ActionDeps, ctx: ActionContext<P>) => Promise<Record<string, unknown>>;

export type Action<V extends ApiVersion, A extends OperationName<V>> = ActionHandler<ParamsOf<V, A>>;

/** The handlers of one version, each for its own operation. */
export type ActionMap<V extends ApiVersion> = { [A in OperationName<V>]: Action<V, A> };
