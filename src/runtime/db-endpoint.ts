/** A data source's endpoint as the engine takes it, with the operator's cleartext-password setting. */
import type { Endpoint } from '../domain/data-source-content.ts';
import type { DbEndpoint } from '../engine/endpoint.ts';

export function toDbEndpoint(e: Endpoint, allowCleartextPassword: boolean, host = e.host): DbEndpoint {
  return {
    host, port: e.port, database: e.database, user: e.user, password: e.password,
    ...(e.tls ? { tls: { mode: e.tls.mode, ...(e.tls.ca ? { ca: e.tls.ca } : {}) } } : {}),
    ...(allowCleartextPassword ? { allowCleartextPassword: true } : {}),
  };
}
