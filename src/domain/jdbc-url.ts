/**
 * Data sources in connection-string mode carry a JDBC URL (DataWorks "jdbcUrl"):
 * jdbc:postgresql://host[:port]/database[?k=v] and jdbc:mysql://host[:port]/database[?k=v].
 * Percent-encoded parts are decoded; a control character (NUL included) anywhere is refused,
 * since drivers pass the database name into the startup packet as a NUL-terminated string
 * (a `%00` would smuggle extra startup parameters).
 */
export const ENGINE_KINDS = ['postgresql', 'mysql'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export interface JdbcTarget { kind: EngineKind; host: string; port: number; database: string; params: Record<string, string> }

const DEFAULT_PORTS: Record<EngineKind, number> = { postgresql: 5432, mysql: 3306 };
const PATTERN = /^jdbc:(postgresql|mysql|mariadb):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/([^?/#]+)(?:\?(.*))?$/;
/** C0 controls, DEL and C1 controls. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Parses a JDBC URL; the error string names what is wrong (never echoes credentials). */
export function parseJdbcUrl(url: string): JdbcTarget | string {
  const m = PATTERN.exec(url.trim());
  if (!m) return 'jdbcUrl must look like jdbc:postgresql://host:port/database or jdbc:mysql://host:port/database';
  const kind: EngineKind = m[1] === 'postgresql' ? 'postgresql' : 'mysql';
  const port = m[3] === undefined ? DEFAULT_PORTS[kind] : Number(m[3]);
  if (!(port > 0 && port < 65536)) return 'jdbcUrl has a port outside 1-65535';
  const params: Record<string, string> = {};
  for (const pair of (m[5] ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const k = decodePart(eq < 0 ? pair : pair.slice(0, eq));
    const v = decodePart(eq < 0 ? '' : pair.slice(eq + 1));
    if (k === undefined || v === undefined) return 'jdbcUrl has a malformed percent-encoded parameter';
    if (CONTROL_CHARACTERS.test(k) || CONTROL_CHARACTERS.test(v)) return 'jdbcUrl parameters must not contain control characters';
    params[k] = v;
  }
  const database = decodePart(m[4]);
  if (database === undefined) return 'jdbcUrl has a malformed database name';
  if (CONTROL_CHARACTERS.test(database)) return 'jdbcUrl database name must not contain control characters';
  return { kind, host: m[2].replace(/^\[|\]$/g, '').toLowerCase(), port, database, params };
}

function decodePart(s: string): string | undefined {
  try { return decodeURIComponent(s); } catch { return undefined; }
}

/** A parameter by name, any case (drivers differ: sslmode / sslMode / useSSL / useSsl). */
export function jdbcParam(params: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(params).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : params[key];
}
