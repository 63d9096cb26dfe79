/** Parameter checks shared by the data source actions. */
import { paramInvalid, type ApiError } from '../protocol/errors.ts';
import { endpointOf, isContentProblem, type ConnectionContent, type ContentProblem } from '../domain/data-source-content.ts';
import { UniqueViolationError } from '../store/catalog-store.ts';
import type { ActionDeps } from './action-deps.ts';

/** Content is a JSON string; the error never repeats it, since it carries the password. */
export function parseContentParam(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw paramInvalid('Content', 'must be a JSON object string');
  }
}

/** The validated Content, or a 400 naming the field inside it (Content.username, ...). */
export function requireValidContent(content: ConnectionContent | ContentProblem): ConnectionContent {
  if (!isContentProblem(content)) return content;
  throw paramInvalid(content.field === '' ? 'Content' : `Content.${content.field}`, content.reason);
}

/** With an operator allow-list, the host must be on it (checked again before every connection). */
export async function requireAllowedHost(deps: ActionDeps, content: ConnectionContent): Promise<void> {
  const list = deps.allowedHosts;
  if (!list) return;
  const { host } = endpointOf(content);
  if (!(await list.resolve(host))) throw paramInvalid('Content.jdbcUrl', `is not allowed: ${host} is not on the operator's allow-list of data source hosts`);
}

/** EnvType 0 = development, 1 = production (DataWorks). */
export function validateEnvType(v: number): number {
  if (v !== 0 && v !== 1) throw paramInvalid('EnvType', 'must be 0 (development) or 1 (production)');
  return v;
}

export const DATA_SOURCE_STATUSES = ['ENABLED', 'DISABLED'] as const;

export function duplicateName(name: string, envType: number): ApiError {
  return paramInvalid('Name', `a data source named ${name} already exists in this workspace and environment (EnvType ${envType})`);
}

/** The store's unique (project, name, environment) constraint, as the 400 a duplicate deserves. */
export function nameConflict(err: unknown, name: string, envType: number): unknown {
  return err instanceof UniqueViolationError && err.constraint.includes('data_sources.name') ? duplicateName(name, envType) : err;
}
