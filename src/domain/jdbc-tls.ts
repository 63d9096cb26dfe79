/**
 * TLS settings of a data source, from its jdbcUrl parameters as the JDBC drivers spell them,
 * plus a CA certificate given as PEM text in Content.caCertificate (never a file path on the
 * server: a user must not make the service read files it names).
 *
 * PostgreSQL (pgjdbc): sslmode=disable|require|verify-ca|verify-full; ssl=true alone means
 * verify-full (pgjdbc's default once ssl is on).
 * MySQL (Connector/J): sslMode=DISABLED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY; the older
 * useSSL=true means REQUIRED (VERIFY_CA with verifyServerCertificate=true); MariaDB Connector/J:
 * sslMode=disable|trust|verify-ca|verify-full.
 * The opportunistic modes (allow/prefer/PREFERRED) are refused: OpenDI's drivers cannot fall back
 * from TLS to plain text, and a silent plain connection is what the setting was meant to avoid.
 * A CA certificate without a mode turns verify-full on.
 */
import { jdbcParam, type EngineKind } from './jdbc-url.ts';

export type TlsMode = 'require' | 'verify-ca' | 'verify-full';
export interface TlsSettings { mode: TlsMode; ca?: string }

const PG_MODES: Record<string, TlsMode | null> = { disable: null, require: 'require', 'verify-ca': 'verify-ca', 'verify-full': 'verify-full' };
const MYSQL_MODES: Record<string, TlsMode | null> = {
  disabled: null, required: 'require', verify_ca: 'verify-ca', verify_identity: 'verify-full',
  disable: null, trust: 'require', 'verify-ca': 'verify-ca', 'verify-full': 'verify-full',
};
const OPPORTUNISTIC = new Set(['allow', 'prefer', 'preferred']);
/** Parameters that name files on the machine running the driver. */
const FILE_PARAMS = ['sslrootcert', 'sslcert', 'sslkey', 'sslpasswordcallback', 'trustCertificateKeyStoreUrl', 'clientCertificateKeyStoreUrl', 'serverSslCert', 'keyStore', 'trustStore'];
const PEM_CERTIFICATE = /^\s*(-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*)+$/;

export interface TlsProblem { field: string; reason: string }

/** The TLS settings (undefined: plain connection) or what is wrong, naming the field. */
export function tlsSettingsOf(kind: EngineKind, params: Record<string, string>, caCertificate: unknown): TlsSettings | undefined | TlsProblem {
  for (const name of FILE_PARAMS) {
    if (jdbcParam(params, name) !== undefined) {
      return { field: 'jdbcUrl', reason: `must not name a file (${name}); give the CA certificate as PEM text in Content.caCertificate` };
    }
  }
  if (caCertificate !== undefined && (typeof caCertificate !== 'string' || !PEM_CERTIFICATE.test(caCertificate))) {
    return { field: 'caCertificate', reason: 'must be one or more PEM certificates (-----BEGIN CERTIFICATE----- ...)' };
  }
  const mode = kind === 'postgresql' ? postgresMode(params) : mysqlMode(params);
  if (typeof mode === 'object' && mode !== null) return mode;
  const ca = caCertificate as string | undefined;
  if (mode === null) {
    return ca === undefined ? undefined : { field: 'caCertificate', reason: 'is given but the jdbcUrl turns TLS off' };
  }
  const chosen = mode ?? (ca !== undefined ? 'verify-full' : undefined);
  return chosen === undefined ? undefined : { mode: chosen, ...(ca !== undefined ? { ca } : {}) };
}

/** undefined: not set; null: explicitly off. */
function postgresMode(params: Record<string, string>): TlsMode | null | undefined | TlsProblem {
  const sslmode = jdbcParam(params, 'sslmode');
  if (sslmode !== undefined) return lookup(PG_MODES, sslmode, 'sslmode', 'disable, require, verify-ca or verify-full');
  const ssl = jdbcParam(params, 'ssl');
  if (ssl === undefined) return undefined;
  return /^(true|1)$/i.test(ssl) ? 'verify-full' : null;
}

function mysqlMode(params: Record<string, string>): TlsMode | null | undefined | TlsProblem {
  const sslMode = jdbcParam(params, 'sslMode');
  if (sslMode !== undefined) return lookup(MYSQL_MODES, sslMode, 'sslMode', 'DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY');
  const useSsl = jdbcParam(params, 'useSSL');
  if (useSsl === undefined) return undefined;
  if (!/^(true|1)$/i.test(useSsl)) return null;
  return /^(true|1)$/i.test(jdbcParam(params, 'verifyServerCertificate') ?? '') ? 'verify-ca' : 'require';
}

function lookup(table: Record<string, TlsMode | null>, value: string, name: string, allowed: string): TlsMode | null | TlsProblem {
  const v = value.toLowerCase();
  if (OPPORTUNISTIC.has(v)) return { field: 'jdbcUrl', reason: `${name}=${value} is not supported (no silent fallback to a plain connection); use ${allowed}` };
  if (!Object.hasOwn(table, v)) return { field: 'jdbcUrl', reason: `${name} must be ${allowed}` };
  return table[v];
}
