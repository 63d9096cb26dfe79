/**
 * 2024-05-18 data sources over the one store the 2020 operations use (README, "The 2024-05-18 DI
 * Job API"): the canonical record is the 2020 connection-string Content (jdbcUrl, username,
 * password; src/domain/data-source-content.ts) with EnvType 0/1; the 2024 `ConnectionProperties`
 * (UrlMode) is converted to it on the way in and rendered from it on the way out:
 *   {"envType": "Dev"|"Prod", "address": [{"host", "port"}], "database", "username", "password",
 *    "properties": {jdbc parameters}, "securityProtocol"}
 * The password is shown as "***"; sent back as "***" (or left out), the stored one is kept.
 * InstanceMode and the other cloud modes name cloud instances this engine cannot reach: a 400.
 */
import { JobInputError } from './job-document.ts';
import { expectArray, expectEnum, expectObject, isObject, parseJsonText, requireString, expectString } from './json-input.ts';
import { protocolOfDataSourceType } from './job-types.ts';
import { parseJdbcUrl, type EngineKind } from '../jdbc-url.ts';

export { MASKED } from '../content-secrets.ts';
import { MASKED } from '../content-secrets.ts';
export const ENV_TYPES = ['Dev', 'Prod'] as const;
export type EnvName = (typeof ENV_TYPES)[number];

const FIELDS = ['envType', 'address', 'database', 'username', 'password', 'properties', 'securityProtocol'];
/** TLS to the database, by protocol: the jdbc parameter the engine's connections read. */
const TLS_PARAMS: Record<EngineKind, [string, string]> = { postgresql: ['sslmode', 'require'], mysql: ['useSSL', 'true'] };

export interface CanonicalDataSource { envType: 0 | 1; content: Record<string, unknown> }

export function envTypeOf(name: EnvName): 0 | 1 { return name === 'Prod' ? 1 : 0; }
export function envNameOf(envType: number): EnvName { return envType === 1 ? 'Prod' : 'Dev'; }

/**
 * ConnectionProperties (a JSON string) -> the canonical record. With `forUpdate`, a masked or absent
 * password stays "***": the update keeps the stored one only while the data source still points
 * where it did (mergeUpdatedContent, data-source-content.ts).
 */
export function canonicalFromProperties(type: string, text: unknown, forUpdate = false): CanonicalDataSource {
  const protocol = protocolOfDataSourceType(type);
  if (!protocol) throw new JobInputError('Type', `${type} is not a data source type this engine can connect to`);
  const o = expectObject(parseJsonText(text, 'ConnectionProperties'), 'ConnectionProperties', FIELDS);
  const env = expectEnum(o.envType, 'ConnectionProperties.envType', ENV_TYPES);
  const address = expectArray(o.address, 'ConnectionProperties.address', { min: 1 });
  if (address.length > 1) throw new JobInputError('ConnectionProperties.address', 'holds several addresses; one host and port is supported');
  const a = expectObject(address[0], 'ConnectionProperties.address[0]', ['host', 'port']);
  const host = requireString(a.host, 'ConnectionProperties.address[0].host', 253);
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)$/.test(host)) throw new JobInputError('ConnectionProperties.address[0].host', 'is not a host name or IP address');
  const port = typeof a.port === 'string' && /^\d+$/.test(a.port) ? Number(a.port) : a.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new JobInputError('ConnectionProperties.address[0].port', 'must be a port number 1-65535');
  const database = requireString(o.database, 'ConnectionProperties.database', 128);
  const username = requireString(o.username, 'ConnectionProperties.username', 128);
  const given = expectString(o.password, 'ConnectionProperties.password', { optional: true, max: 1024 });
  const password = given === undefined || given === MASKED ? (forUpdate ? MASKED : '') : given;
  const params: Record<string, string> = {};
  if (o.properties !== undefined) {
    const props = expectObject(o.properties, 'ConnectionProperties.properties');
    for (const [k, v] of Object.entries(props)) {
      if (!/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(k)) throw new JobInputError(`ConnectionProperties.properties.${k}`, 'is not a connection property name');
      params[k] = requireString(v, `ConnectionProperties.properties.${k}`, 512);
    }
  }
  if (o.securityProtocol !== undefined) {
    const tls = expectEnum(String(o.securityProtocol).toLowerCase(), 'ConnectionProperties.securityProtocol', ['authtypenone', 'authtypessl'] as const);
    if (tls === 'authtypessl') params[TLS_PARAMS[protocol][0]] = TLS_PARAMS[protocol][1];
  }
  const query = Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const jdbcUrl = `jdbc:${protocol}://${host}:${port}/${encodeURIComponent(database)}${query ? `?${query}` : ''}`;
  return { envType: envTypeOf(env), content: { jdbcUrl, username, password, tag: 'public' } };
}

/** The canonical record as ConnectionProperties (an object, as GetDataSource returns it), password masked. */
export function propertiesFromCanonical(content: Record<string, unknown>, envType: number): Record<string, unknown> {
  const out: Record<string, unknown> = { envType: envNameOf(envType) };
  const url = typeof content.jdbcUrl === 'string' ? parseJdbcUrl(content.jdbcUrl) : 'no jdbcUrl';
  if (typeof url !== 'string') {
    const properties = Object.fromEntries(Object.entries(url.params).map(([k, v]) => [safeDecode(k), safeDecode(v)]));
    const tls = TLS_PARAMS[url.kind];
    out.address = [{ host: url.host, port: url.port }];
    out.database = url.database;
    if (properties[tls[0]] === tls[1]) out.securityProtocol = url.kind === 'mysql' ? 'authTypeSsl' : 'AuthTypeSsl';
    if (Object.keys(properties).length > 0) out.properties = properties;
  }
  if (typeof content.username === 'string') out.username = content.username;
  out.password = MASKED;
  for (const [k, v] of Object.entries(content)) {
    if (!['jdbcUrl', 'username', 'password', 'tag'].includes(k) && !isObject(v) && !/secret|password|key/i.test(k)) out[k] = v;
  }
  return out;
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}
