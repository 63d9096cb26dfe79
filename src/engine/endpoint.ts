/**
 * TLS to a database. `require`: encrypted, the server's certificate is not checked;
 * `verify-ca`: signed by `ca` (or the system's roots); `verify-full`: and issued for `host`.
 * Absent: a plain connection (the engine then refuses to send a password in clear text unless
 * `allowCleartextPassword` is set).
 */
export interface EndpointTls { mode: 'require' | 'verify-ca' | 'verify-full'; ca?: string }

/** Where a database is (PostgreSQL or MySQL/MariaDB); the password never goes to a log. */
export interface DbEndpoint {
  host: string; port: number; database: string; user: string; password?: string;
  tls?: EndpointTls;
  /** The operator allowed sending the password unencrypted over a plain connection (cleartext / RSA-less auth). */
  allowCleartextPassword?: boolean;
  /** Names every connection of a task (PostgreSQL application_name, MySQL program_name): `opendi:<node>:<task>`. */
  connectionName?: string;
}
export type PgEndpoint = DbEndpoint;
