/**
 * UpdateDataSource (2020-05-18). Content replaces the connection settings; a Content without
 * `password` keeps the stored one, so clients that read a (redacted) Content back can resubmit it.
 */
import { paramInvalid } from '../protocol/errors.ts';
import type { ActionContext } from '../protocol/action-registry.ts';
import { validateContent } from '../domain/data-source-content.ts';
import type { EngineKind } from '../domain/jdbc-url.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireDataSource } from './require-data-source.ts';
import { DATA_SOURCE_STATUSES, parseContentParam, validateEnvType } from './data-source-params.ts';

export async function updateDataSource(deps: ActionDeps, ctx: ActionContext) {
  const p = ctx.params;
  const ds = await requireDataSource(deps, ctx, p.DataSourceId as number);
  const patch: Parameters<typeof deps.store.updateDataSource>[1] = {};
  if (p.Content !== undefined) {
    const raw = parseContentParam(p.Content as string);
    const merged = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !('password' in raw)
      ? { ...raw, password: ds.content.password } : raw;
    const content = validateContent(ds.dataSourceType as EngineKind, merged);
    if (typeof content === 'string') throw paramInvalid('Content', content);
    patch.content = content;
  }
  if (p.Description !== undefined) patch.description = p.Description as string;
  if (p.EnvType !== undefined) patch.envType = validateEnvType(p.EnvType as number);
  if (p.Status !== undefined) {
    if (!(DATA_SOURCE_STATUSES as readonly unknown[]).includes(p.Status)) throw paramInvalid('Status', `must be one of ${DATA_SOURCE_STATUSES.join(', ')}`);
    patch.status = p.Status as string;
  }
  await deps.store.updateDataSource(ds.id, patch);
  return { Success: true, HttpStatusCode: '200', Data: true };
}
