/**
 * The Content of a data source in connection-string mode (docs/design.md section 2):
 * {"jdbcUrl": "...", "username": "...", "password": "...", "tag": "public", "caCertificate": "PEM"}.
 * The password is kept in the catalog (sealed) but never leaves it: responses show "***"
 * (content-secrets.ts). Moving a data source (another host, port, database, user or TLS setting)
 * needs the password again, so a workspace member cannot have the stored password sent to a
 * server of their choosing.
 */
import { CONTROL_CHARACTERS, ENGINE_KINDS, parseJdbcUrl, type EngineKind } from './jdbc-url.ts';
import { tlsSettingsOf, type TlsSettings } from './jdbc-tls.ts';
import { MASKED, redactSecrets, restoreSecrets } from './content-secrets.ts';

export const SUPPORTED_DATA_SOURCE_TYPES = ENGINE_KINDS;

export interface ConnectionContent { jdbcUrl: string; username: string; password: string; tag?: string; caCertificate?: string; [k: string]: unknown }

export interface Endpoint { kind: EngineKind; host: string; port: number; database: string; user: string; password: string; tls?: TlsSettings }

/** What is wrong with a Content, naming the field inside it. */
export interface ContentProblem { field: string; reason: string }

export function isContentProblem(v: unknown): v is ContentProblem {
  return typeof v === 'object' && v !== null && typeof (v as ContentProblem).reason === 'string' && typeof (v as ContentProblem).field === 'string';
}

/** Validates Content for a data source type; returns the parsed content or what is wrong. */
export function validateContent(type: EngineKind, raw: unknown): ConnectionContent | ContentProblem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { field: '', reason: 'must be a JSON object' };
  const c = raw as Record<string, unknown>;
  for (const key of ['jdbcUrl', 'username'] as const) {
    if (typeof c[key] !== 'string' || (c[key] as string).trim() === '') return { field: key, reason: 'is required (connection-string mode)' };
  }
  if (CONTROL_CHARACTERS.test(c.username as string)) return { field: 'username', reason: 'must not contain control characters' };
  if (c.password !== undefined && typeof c.password !== 'string') return { field: 'password', reason: 'must be a string' };
  if (c.password === MASKED) return { field: 'password', reason: 'is "***" but no password is stored to keep' };
  const target = parseJdbcUrl(c.jdbcUrl as string);
  if (typeof target === 'string') return { field: 'jdbcUrl', reason: target.replace(/^jdbcUrl /, '') };
  if (target.kind !== type) return { field: 'jdbcUrl', reason: `is a ${target.kind} URL but the data source type is ${type}` };
  const tls = tlsSettingsOf(target.kind, target.params, c.caCertificate);
  if (isContentProblem(tls)) return tls;
  return { ...c, jdbcUrl: c.jdbcUrl as string, username: c.username as string, password: (c.password as string | undefined) ?? '' };
}

/**
 * The Content an UpdateDataSource stores: "***" keeps a stored secret, an absent password keeps
 * the stored one, but only while the data source still points where it did.
 */
export function mergeUpdatedContent(type: EngineKind, raw: unknown, stored: Record<string, unknown>): ConnectionContent | ContentProblem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { field: '', reason: 'must be a JSON object' };
  const next = restoreSecrets(raw, stored) as Record<string, unknown>;
  const keepsPassword = !('password' in (raw as object)) || (raw as Record<string, unknown>).password === MASKED;
  if (keepsPassword && stored.password !== undefined) next.password = stored.password;
  const content = validateContent(type, next);
  if (isContentProblem(content) || !keepsPassword || !stored.password) return content;
  if (identityOf(content) !== identityOf(stored)) {
    return { field: 'password', reason: 'must be given again when host, port, database, username or TLS settings change' };
  }
  return content;
}

/** Where the password would be sent: changing any of this requires the password again. */
function identityOf(content: Record<string, unknown>): string {
  const t = parseJdbcUrl(String(content.jdbcUrl ?? ''));
  if (typeof t === 'string') return 'invalid';
  const tls = tlsSettingsOf(t.kind, t.params, content.caCertificate);
  return JSON.stringify([t.kind, t.host, t.port, t.database, content.username, isContentProblem(tls) ? 'invalid' : tls ?? null]);
}

/** The Content as responses show it: every secret "***". */
export function redactContent(content: Record<string, unknown>): Record<string, unknown> {
  return redactSecrets(content) as Record<string, unknown>;
}

export function endpointOf(content: Record<string, unknown>): Endpoint {
  const c = content as ConnectionContent;
  const t = parseJdbcUrl(c.jdbcUrl);
  if (typeof t === 'string') throw new Error(`stored data source has an invalid jdbcUrl: ${t}`);
  const tls = tlsSettingsOf(t.kind, t.params, c.caCertificate);
  if (isContentProblem(tls)) throw new Error(`stored data source has invalid TLS settings: ${tls.field} ${tls.reason}`);
  return { kind: t.kind, host: t.host, port: t.port, database: t.database, user: c.username, password: c.password ?? '', ...(tls ? { tls } : {}) };
}
