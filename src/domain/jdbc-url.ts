/**
 * Data sources in connection-string mode carry a JDBC URL (DataWorks "jdbcUrl"):
 * jdbc:postgresql://host[:port]/database[?k=v] and jdbc:mysql://host[:port]/database[?k=v].
 */
export const ENGINE_KINDS = ['postgresql', 'mysql'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export interface JdbcTarget { kind: EngineKind; host: string; port: number; database: string; params: Record<string, string> }

const DEFAULT_PORTS: Record<EngineKind, number> = { postgresql: 5432, mysql: 3306 };
const PATTERN = /^jdbc:(postgresql|mysql|mariadb):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/([^?/#]+)(?:\?(.*))?$/;

/** Parses a JDBC URL; the error string names what is wrong (never echoes credentials). */
export function parseJdbcUrl(url: string): JdbcTarget | string {
  const m = PATTERN.exec(url.trim());
  if (!m) return 'jdbcUrl must look like jdbc:postgresql://host:port/database or jdbc:mysql://host:port/database';
  const kind: EngineKind = m[1] === 'postgresql' ? 'postgresql' : 'mysql';
  const port = m[3] === undefined ? DEFAULT_PORTS[kind] : Number(m[3]);
  if (!(port > 0 && port < 65536)) return 'jdbcUrl has a port outside 1-65535';
  const params: Record<string, string> = {};
  for (const pair of (m[5] ?? '').split('&').filter(Boolean)) {
    const [k, v = ''] = pair.split('=');
    params[k] = v;
  }
  let database: string;
  try { database = decodeURIComponent(m[4]); } catch { return 'jdbcUrl has a malformed database name'; }
  return { kind, host: m[2].replace(/^\[|\]$/g, ''), port, database, params };
}
