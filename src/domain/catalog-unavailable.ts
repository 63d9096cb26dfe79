/**
 * The catalog database cannot be reached or did not answer in time (a PostgreSQL catalog that is
 * down, failing over or overloaded). Recoverable: the API answers ServiceUnavailable.Catalog (503)
 * and the same call works again once the database is back (src/protocol/errors.ts). Lives in the
 * domain so that both the store, which throws it, and the HTTP edge, which maps it, may import it.
 */
export class CatalogUnavailableError extends Error {
  readonly recoverable = true;
  constructor(reason: string) {
    super(`the catalog database is unavailable: ${reason}`);
    this.name = 'CatalogUnavailableError';
  }
}
