/**
 * ClientToken, the cloud's idempotency token of create actions (spec/dataworks-openapi.json;
 * README, "What is served"): a request retried with the same ClientToken by the same caller within
 * 24 hours gets the first request's answer and creates nothing new, also when the duplicates
 * arrive at the same time. `idempotent(handler)` wraps any create action (2020 CreateProject, CreateDISyncTask, the
 * config generators; later CreateDIJob, CreateDIAlarmRule).
 *
 * - The token is claimed in the catalog before the handler runs; concurrent duplicates wait for
 *   the first one's answer. A request that fails (a 4xx/5xx error) releases its claim, so a retry
 *   runs again; any answer (also `Data.Status: "fail"`) is kept and replayed.
 * - The same token with different parameters is refused (Param.Invalid naming ClientToken): it is
 *   a client bug that replaying the first answer would hide.
 * - A claim left unanswered by a crashed service is taken over after ABANDONED_AFTER_MS.
 */
import { createHash } from 'node:crypto';
import { paramInvalid } from '../protocol/errors.ts';
import type { ClientTokenKey } from '../store/catalog-store.ts';
import type { ActionHandler } from './action-handler.ts';

export const CLIENT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
const ABANDONED_AFTER_MS = 60_000;
const POLL_MS = 25;
const TOKEN = /^[\x21-\x7e]{1,64}$/;

export function idempotent<P extends { ClientToken?: string }>(handler: ActionHandler<P>): ActionHandler<P> {
  return async (deps, ctx) => {
    const token = ctx.params.ClientToken;
    if (token === undefined || token === '') return handler(deps, ctx);
    if (!TOKEN.test(token)) throw paramInvalid('ClientToken', 'must be 1-64 printable ASCII characters without spaces');
    const key: ClientTokenKey = { principalId: ctx.principalId, action: `${ctx.version}/${ctx.action}`, token };
    const { ClientToken: _, ...rest } = ctx.params;
    const requestHash = createHash('sha256').update(canonicalJson(rest)).digest('hex');
    for (;;) {
      const now = Date.now();
      const claim = await deps.store.claimClientToken(key, requestHash, now, now + CLIENT_TOKEN_TTL_MS);
      if (claim.claimed) return runClaimed();
      if (claim.requestHash !== requestHash) throw paramInvalid('ClientToken', 'was already used in the last 24 hours for a request with other parameters');
      if (claim.response !== null) return JSON.parse(claim.response) as Record<string, unknown>;
      if (now - claim.createdAt > ABANDONED_AFTER_MS) await deps.store.releaseClientToken(key);
      else await new Promise((r) => setTimeout(r, POLL_MS));
    }

    async function runClaimed(): Promise<Record<string, unknown>> {
      let result: Record<string, unknown>;
      try {
        result = await handler(deps, ctx);
      } catch (err) {
        await deps.store.releaseClientToken(key);
        throw err;
      }
      await deps.store.completeClientToken(key, JSON.stringify(result));
      return result;
    }
  };
}

/** JSON with object keys sorted, so the same parameters hash alike whatever order they came in. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
