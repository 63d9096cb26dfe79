/**
 * Opens the catalog for the service and the CLI: the data dir's SQLite file by default, or the
 * PostgreSQL catalog of `--catalog-url` / OPENDI_CATALOG_URL (README "Catalog on PostgreSQL").
 * A data dir that already holds an installation (its admin key file or master key) but whose
 * SQLite catalog is missing or empty is refused: silently starting a new installation there
 * would orphan the old one's replication slots and reuse its task ids in the targets' checkpoints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openSqliteCatalog } from '../store/sqlite/sqlite-catalog-store.ts';
import { openPgCatalog } from '../store/postgres/pg-catalog-store.ts';
import { CatalogOpenError, type SqlCatalogStore } from '../store/sql/sql-catalog-store.ts';
import { CatalogUnavailableError } from '../domain/catalog-unavailable.ts';
import { ADMIN_KEY_FILE } from './admin-key.ts';
import { MASTER_KEY_FILE, loadSecretBox } from './master-key.ts';
import { ConfigError } from './service-config.ts';
import { redactUrl } from './catalog-url.ts';

export const CATALOG_FILE = 'catalog.sqlite';

export interface OpenCatalogOptions {
  busyTimeoutMs?: number;
  /** OPENDI_MASTER_KEY, when set; else OPENDI_MASTER_KEY_FILE; else the data dir's master.key. */
  masterKey?: string;
  masterKeyFile?: string;
  /** A postgres:// URL: the catalog is in PostgreSQL, not in the data dir. */
  catalogUrl?: string;
  /** Names the catalog connections (`opendi:<node>:catalog`) on a PostgreSQL catalog. */
  nodeId?: string;
  /** Bounds of the PostgreSQL catalog's connections (ms). */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** A PostgreSQL catalog connection broke while idle (logged; the next call reconnects). */
  onIdleError?: (err: Error) => void;
}

export async function openCatalog(dataDir: string, options: OpenCatalogOptions = {}): Promise<SqlCatalogStore> {
  if (options.catalogUrl !== undefined) {
    const box = loadSecretBox(dataDir, options.masterKey, options.masterKeyFile);
    try {
      return await openPgCatalog(options.catalogUrl, box, {
        connectTimeoutMs: options.connectTimeoutMs, statementTimeoutMs: options.statementTimeoutMs,
        applicationName: `opendi:${options.nodeId ?? 'cli'}:catalog`.slice(0, 63), onIdleError: options.onIdleError,
      });
    } catch (err) {
      if (err instanceof CatalogOpenError) throw new ConfigError(err.message);
      throw new ConfigError(`cannot open the catalog ${redactUrl(options.catalogUrl)}: ${(err as Error).message}${err instanceof CatalogUnavailableError ? ' (is the database up and reachable?)' : ''}`);
    }
  }
  const file = path.join(dataDir, CATALOG_FILE);
  const marker = [ADMIN_KEY_FILE, MASTER_KEY_FILE].find((f) => fs.existsSync(path.join(dataDir, f)));
  const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
  const refuse = (state: string) => new ConfigError(
    `the data dir ${dataDir} holds an installation (${marker}) but its catalog ${file} ${state}; ` +
    `restore the catalog from a backup, or move ${marker} away to start a new installation there`);
  if (marker && size <= 0) throw refuse(size < 0 ? 'is missing' : 'is empty');
  // After the check above: loading the key creates master.key when it is missing.
  const box = loadSecretBox(dataDir, options.masterKey, options.masterKeyFile);
  let store: SqlCatalogStore;
  try {
    store = await openSqliteCatalog(file, { busyTimeoutMs: options.busyTimeoutMs, secretBox: box });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (err instanceof CatalogOpenError) throw new ConfigError(err.message);
    throw new ConfigError(`cannot open the catalog ${file}: ${(err as Error).message}`);
  }
  if (marker && store.createdNow) {
    await store.close();
    throw refuse('holds no catalog schema');
  }
  return store;
}
