/**
 * Opens the data dir's catalog for the service and the CLI. A data dir that already holds an
 * installation (its admin key file or master key) but whose catalog is missing or empty is
 * refused: silently starting a new installation there would orphan the old one's replication
 * slots and reuse its task ids in the targets' checkpoints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SqliteCatalogStore } from '../store/sqlite/sqlite-catalog-store.ts';
import { ADMIN_KEY_FILE } from './admin-key.ts';
import { MASTER_KEY_FILE, loadSecretBox } from './master-key.ts';
import { ConfigError } from './service-config.ts';

export const CATALOG_FILE = 'catalog.sqlite';

export interface OpenCatalogOptions {
  busyTimeoutMs?: number;
  /** OPENDI_MASTER_KEY, when set; else the data dir's master.key. */
  masterKey?: string;
}

export function openCatalog(dataDir: string, options: OpenCatalogOptions = {}): SqliteCatalogStore {
  const file = path.join(dataDir, CATALOG_FILE);
  const marker = [ADMIN_KEY_FILE, MASTER_KEY_FILE].find((f) => fs.existsSync(path.join(dataDir, f)));
  const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
  const refuse = (state: string) => new ConfigError(
    `the data dir ${dataDir} holds an installation (${marker}) but its catalog ${file} ${state}; ` +
    `restore the catalog from a backup, or move ${marker} away to start a new installation there`);
  if (marker && size <= 0) throw refuse(size < 0 ? 'is missing' : 'is empty');
  let store: SqliteCatalogStore;
  try {
    store = new SqliteCatalogStore(file, { busyTimeoutMs: options.busyTimeoutMs, secretBox: loadSecretBox(dataDir, options.masterKey) });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot open the catalog ${file}: ${(err as Error).message}`);
  }
  if (marker && store.createdNow) {
    void store.close();
    throw refuse('holds no catalog schema');
  }
  return store;
}
