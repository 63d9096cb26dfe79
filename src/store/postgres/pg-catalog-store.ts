/**
 * The shared catalog: the SQL catalog (../sql/sql-catalog-store.ts) in a PostgreSQL database
 * given by URL (`--catalog-url postgres://...`), several OpenDI nodes on one catalog. Tables live
 * in the schema `opendi_catalog`; migrations run under an advisory lock (pg-driver.ts). Every
 * node must seal with the same master key (OPENDI_MASTER_KEY or OPENDI_MASTER_KEY_FILE), which
 * the catalog checks at open.
 */
import type { SecretBox } from '../secret-box.ts';
import { SqlCatalogStore } from '../sql/sql-catalog-store.ts';
import { PgDriver, type PgDriverOptions } from './pg-driver.ts';
import { PG_MIGRATIONS } from './migrations.ts';

export async function openPgCatalog(url: string, box: SecretBox, options: PgDriverOptions = {}): Promise<SqlCatalogStore> {
  return SqlCatalogStore.open(new PgDriver(url, options), PG_MIGRATIONS, box);
}
