/**
 * The Content of a data source in connection-string mode (docs/design.md section 2):
 * {"jdbcUrl": "...", "username": "...", "password": "...", "tag": "public"}.
 * The password is kept in the catalog but never leaves it: responses use `redactContent`.
 */
import { ENGINE_KINDS, parseJdbcUrl, type EngineKind } from './jdbc-url.ts';

export const SUPPORTED_DATA_SOURCE_TYPES = ENGINE_KINDS;
export const SECRET_CONTENT_KEYS = ['password', 'accessKey', 'accessKeySecret', 'secretKey'] as const;

export interface ConnectionContent { jdbcUrl: string; username: string; password: string; tag?: string; [k: string]: unknown }

export interface Endpoint { kind: EngineKind; host: string; port: number; database: string; user: string; password: string }

/** Validates Content for a data source type; returns the parsed content or a reason (naming the field). */
export function validateContent(type: EngineKind, raw: unknown): ConnectionContent | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'must be a JSON object';
  const c = raw as Record<string, unknown>;
  for (const key of ['jdbcUrl', 'username'] as const) {
    if (typeof c[key] !== 'string' || (c[key] as string).trim() === '') return `${key} is required (connection-string mode)`;
  }
  if (c.password !== undefined && typeof c.password !== 'string') return 'password must be a string';
  const target = parseJdbcUrl(c.jdbcUrl as string);
  if (typeof target === 'string') return target;
  if (target.kind !== type) return `jdbcUrl is a ${target.kind} URL but the data source type is ${type}`;
  return { ...c, jdbcUrl: c.jdbcUrl as string, username: c.username as string, password: (c.password as string | undefined) ?? '' };
}

export function redactContent(content: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...content };
  for (const k of SECRET_CONTENT_KEYS) delete out[k];
  return out;
}

export function endpointOf(content: Record<string, unknown>): Endpoint {
  const c = content as ConnectionContent;
  const t = parseJdbcUrl(c.jdbcUrl);
  if (typeof t === 'string') throw new Error(`stored data source has an invalid jdbcUrl: ${t}`);
  return { kind: t.kind, host: t.host, port: t.port, database: t.database, user: c.username, password: c.password ?? '' };
}
