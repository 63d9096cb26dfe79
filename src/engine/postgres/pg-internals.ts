/**
 * The only engine module that relies on `pg` internals (node_modules/pg/lib/client.js and
 * connection.js, pg 8.x; pin the major version): the hook that refuses a cleartext password
 * request over a plain connection, and dropping a client's socket at once.
 *
 * PostgreSQL may answer the startup message with AuthenticationCleartextPassword (PostgreSQL docs,
 * "Message Flow": `password` auth in pg_hba.conf, or anything pretending to be the server); the
 * client would then send the password as is. Clients whose configuration came from
 * `clientConfig` (connection.ts) carry a password function tagged with their endpoint's policy;
 * for them, pg's handler for that message refuses unless the socket is TLS or the endpoint allows
 * cleartext passwords. Other pg clients of the process are left alone.
 */
import tls from 'node:tls';
import pg from 'pg';
import type { DbEndpoint } from '../endpoint.ts';
import { UnrecoverableError } from '../errors.ts';

const POLICY = Symbol('opendi.cleartextPolicy');

interface Policy { allowCleartext: boolean; where: string }
type PasswordFn = (() => string) & { [POLICY]?: Policy };

interface InternalClient {
  password: unknown;
  connection: { stream: NodeJS.ReadableStream & { destroy(): void }; emit(event: 'error', err: Error): boolean };
}

/** The password as pg's config takes it (a function), tagged with the endpoint's cleartext policy. */
export function guardedPassword(e: DbEndpoint): PasswordFn {
  // undefined: pg then sends no password (the server may not ask for one).
  const fn: PasswordFn = () => e.password as string;
  fn[POLICY] = { allowCleartext: e.allowCleartextPassword === true, where: `${e.host}:${e.port}` };
  return fn;
}

const proto = pg.Client.prototype as unknown as { _handleAuthCleartextPassword(this: InternalClient, msg: unknown): void };
const passOn = proto._handleAuthCleartextPassword;
proto._handleAuthCleartextPassword = function guarded(this: InternalClient, msg: unknown): void {
  const policy = typeof this.password === 'function' ? (this.password as PasswordFn)[POLICY] : undefined;
  if (policy && !policy.allowCleartext && !(this.connection.stream instanceof tls.TLSSocket)) {
    this.connection.emit('error', new UnrecoverableError(
      `the PostgreSQL server at ${policy.where} asked for the password in clear text over a connection without TLS; it was not sent. `
      + `Connect with TLS (sslmode=require or stronger in the data source's jdbcUrl), use scram-sha-256 authentication at the server, `
      + `or allow cleartext passwords for this data source explicitly`));
    this.connection.stream.destroy();
    return;
  }
  passOn.call(this, msg);
};

/** Drops the socket without the protocol's goodbye: the server aborts the session's open transaction. */
export function destroyPgSocket(c: pg.Client): void {
  (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
