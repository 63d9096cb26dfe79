/**
 * The mysql2 hooks of the engine's MySQL connections (mysql2 3.x; its plugin API and one Node
 * detail), kept in this one module.
 *
 * Authentication plugins that never reveal the password over a plain connection unless
 * the endpoint allows it (DbEndpoint.allowCleartextPassword): mysql_clear_password sends it as
 * is; sha256_password and caching_sha2_password's full authentication encrypt it with an RSA key
 * the server sends, which on a plain connection anyone in the middle can substitute (MySQL manual,
 * "Caching SHA-2 Pluggable Authentication"). Over TLS they behave as mysql2's own plugins.
 * mysql_native_password (a scrambled hash) and the SHA-2 fast path are unaffected.
 */
import net from 'node:net';
import tls from 'node:tls';
import mysql from 'mysql2';
import type { DbEndpoint } from '../endpoint.ts';
import { UnrecoverableError } from '../errors.ts';

type AuthPlugin = mysql.AuthPlugin;
type Step = ReturnType<AuthPlugin>;

/** caching_sha2_password: the server's "perform full authentication" request. */
const PERFORM_FULL_AUTHENTICATION = 4;

export function guardedAuthPlugins(e: DbEndpoint): Record<string, AuthPlugin> {
  const allowed = e.allowCleartextPassword === true;
  const refuse = (plugin: string) => new UnrecoverableError(
    `the MySQL server at ${e.host}:${e.port} asked for the password with ${plugin} over a connection without TLS; it was not sent. `
    + `Connect with TLS (sslMode/useSSL in the data source's jdbcUrl), use mysql_native_password or a cached caching_sha2_password login, `
    + `or allow cleartext passwords for this data source explicitly`);
  const secure = (connection: unknown) => (connection as { stream?: unknown }).stream instanceof tls.TLSSocket;
  const guard = (plugin: string, refuseAt: (call: number, data: Buffer) => boolean, inner: AuthPlugin): AuthPlugin => (meta) => {
    const step: Step = inner(meta);
    let call = 0;
    return (data: Buffer) => {
      if (!allowed && !secure(meta.connection) && refuseAt(call++, data)) throw refuse(plugin);
      return step(data);
    };
  };
  return {
    mysql_clear_password: guard('mysql_clear_password', () => true, mysql.authPlugins.mysql_clear_password({})),
    sha256_password: guard('sha256_password', () => true, mysql.authPlugins.sha256_password({})),
    caching_sha2_password: guard('caching_sha2_password (full authentication)',
      (call, data) => call > 0 && data.length === 1 && data[0] === PERFORM_FULL_AUTHENTICATION, mysql.authPlugins.caching_sha2_password({})),
  };
}

/**
 * mysql2 leaves TLS's server name unset for an IP address, and Node then checks the certificate
 * against 'localhost' (the fallback of tls.connect when neither `servername`, `host` nor the
 * socket's `_host` names the peer). For verify-full against an IP address, the socket handed to
 * mysql2 carries the address as `_host`, so the certificate must name that IP.
 */
export function socketNamedFor(e: DbEndpoint): (() => net.Socket) | undefined {
  if (e.tls?.mode !== 'verify-full' || net.isIP(e.host) === 0) return undefined;
  return () => {
    const socket = net.connect(e.port, e.host);
    (socket as net.Socket & { _host: string })._host = e.host;
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    return socket;
  };
}
