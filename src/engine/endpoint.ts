/** Where a database is (PostgreSQL or MySQL/MariaDB); the password never goes to a log. */
export interface DbEndpoint { host: string; port: number; database: string; user: string; password?: string }
export type PgEndpoint = DbEndpoint;
