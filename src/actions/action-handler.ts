/** An action handler: typed dependencies and the decoded request in, the response body (without RequestId) out. */
import type { ActionContext } from '../protocol/action-registry.ts';
import type { ActionDeps } from './action-deps.ts';

export type ActionHandler = (deps: ActionDeps, ctx: ActionContext) => Promise<Record<string, unknown>>;
