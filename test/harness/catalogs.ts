/**
 * The catalog adapters for contract tests: each test runs against the embedded SQLite file and a
 * PostgreSQL catalog (a fresh database on one private server per test process, started on first
 * use). `CATALOG_KINDS` lists both; `freshPgCatalogUrl()` gives a new empty PostgreSQL catalog
 * URL (for a service started with --catalog-url); `stopCatalogServers()` in an `after` hook.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SecretBox } from '../../src/store/secret-box.ts';
import type { SqlCatalogStore } from '../../src/store/sql/sql-catalog-store.ts';
import { openSqliteCatalog } from '../../src/store/sqlite/sqlite-catalog-store.ts';
import { openPgCatalog } from '../../src/store/postgres/pg-catalog-store.ts';
import type { PgDriverOptions } from '../../src/store/postgres/pg-driver.ts';
import { startPostgres, type PgInstance } from './postgres.ts';

/** One empty catalog: open it as often as needed (reopen after close, or two stores at once). */
export interface CatalogLocation {
  readonly kind: 'sqlite' | 'postgres';
  /** The SQLite file or the PostgreSQL URL. */
  readonly where: string;
  /** Opens a store on it, with the location's own master key unless `box` is given. */
  open(box?: SecretBox, options?: PgDriverOptions): Promise<SqlCatalogStore>;
}

export interface CatalogKind { readonly kind: 'sqlite' | 'postgres'; fresh(): Promise<CatalogLocation> }

let server: Promise<PgInstance> | undefined;
let databases = 0;

/** The private PostgreSQL server holding this process's test catalogs. */
export function catalogServer(): Promise<PgInstance> {
  server ??= startPostgres();
  return server;
}

/** A new, empty database on the catalog server, as a postgres:// URL. */
export async function freshPgCatalogUrl(): Promise<string> {
  const pg = await catalogServer();
  const name = `catalog_${process.pid}_${++databases}`;
  await pg.createDatabase(name);
  return `postgres://${pg.user}@${pg.host}:${pg.port}/${name}`;
}

export const CATALOG_KINDS: readonly CatalogKind[] = [
  {
    kind: 'sqlite',
    fresh: async () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-store-')), 'catalog.sqlite');
      const own = SecretBox.ephemeral();
      return { kind: 'sqlite', where: file, open: (box) => openSqliteCatalog(file, { secretBox: box ?? own }) };
    },
  },
  {
    kind: 'postgres',
    fresh: async () => {
      const url = await freshPgCatalogUrl();
      const own = SecretBox.ephemeral();
      return { kind: 'postgres', where: url, open: (box, options) => openPgCatalog(url, box ?? own, options) };
    },
  },
];

export async function stopCatalogServers(): Promise<void> {
  const s = server;
  server = undefined;
  if (s) await (await s).destroy();
}
