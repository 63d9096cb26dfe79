/**
 * The embedded catalog: the SQL catalog (../sql/sql-catalog-store.ts) on a SQLite file through
 * better-sqlite3. WAL mode lets the CLI (principal management) and the service share the file.
 * The file and its WAL are created owner-only (SQLite gives the WAL and shared-memory files the
 * database file's permissions).
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { SecretBox } from '../secret-box.ts';
import { MASTER_KEY_FILE, secretBoxFromKeyFile } from '../master-key-file.ts';
import { SqlCatalogStore } from '../sql/sql-catalog-store.ts';
import { SqliteDriver } from './sqlite-driver.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';

export { CatalogOpenError } from '../sql/sql-catalog-store.ts';

export interface SqliteCatalogOptions {
  /** How long a write waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Seals secrets at rest; without one, the key in `master.key` next to the catalog (created when missing). */
  secretBox?: SecretBox;
}

/** Opens (creating, migrating) the catalog file; `':memory:'` for a throwaway one. */
export async function openSqliteCatalog(file: string, options: SqliteCatalogOptions = {}): Promise<SqlCatalogStore> {
  const box = options.secretBox ?? (file === ':memory:' ? SecretBox.ephemeral() : secretBoxFromKeyFile(path.join(path.dirname(file), MASTER_KEY_FILE)));
  if (file !== ':memory:') createOwnerOnly(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode is durable across process crashes; only an OS crash can lose the last commit.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  return SqlCatalogStore.open(new SqliteDriver(db), SQLITE_MIGRATIONS, box);
}

/** Creates the catalog file owner-only before SQLite does (SQLite would use 0644); tightens one we made before. */
function createOwnerOnly(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      const st = fs.statSync(f);
      if (st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch { /* absent */ }
  }
}
