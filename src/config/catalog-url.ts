/**
 * `--catalog-url` / OPENDI_CATALOG_URL: a postgres:// (or postgresql://) connection URL of the
 * database that holds the shared catalog (README "Catalog on PostgreSQL"). Checked once at start;
 * its password is never printed (redactUrl).
 */
/** What is wrong with the URL, or undefined when it is usable. */
export function catalogUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '--catalog-url must be a URL like postgres://user:password@host:5432/database';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return `--catalog-url must start with postgres:// (got ${url.protocol}//); without it the catalog is the data dir's SQLite file`;
  }
  if (url.pathname.length <= 1) return '--catalog-url must name the database (postgres://host:5432/<database>)';
  return undefined;
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
