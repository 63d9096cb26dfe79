/** Where a database is; the password never goes to a log. */
export interface PgEndpoint { host: string; port: number; database: string; user: string; password?: string }
