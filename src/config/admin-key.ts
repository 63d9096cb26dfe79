/**
 * The administrator's AccessKey pair. From OPENDI_ACCESS_KEY_ID/SECRET when set; otherwise the
 * pair stored in the data dir, created on first start with owner-only permissions. Only the
 * file's path is ever printed, never the secret.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CatalogStore } from '../store/catalog-store.ts';

export const ADMIN_PRINCIPAL = 'admin';
export const ADMIN_KEY_FILE = 'admin-access-key.json';

export interface AccessKeyPair { accessKeyId: string; secret: string }

export function generateAccessKeyPair(): AccessKeyPair {
  // Alibaba AccessKey ids start with LTAI; ours say who issued them.
  return { accessKeyId: `ODAK${randomBytes(10).toString('hex').toUpperCase()}`, secret: randomBytes(24).toString('base64url') };
}

export function adminKeyPath(dataDir: string): string {
  return path.join(dataDir, ADMIN_KEY_FILE);
}

export function readStoredAdminKey(dataDir: string): AccessKeyPair | undefined {
  const file = adminKeyPath(dataDir);
  if (!fs.existsSync(file)) return undefined;
  const v = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { accessKeyId: v.AccessKeyId, secret: v.AccessKeySecret };
}

/** Ensures the admin principal holds the configured (or stored, or new) key; says whether a file was created. */
export async function ensureAdminKey(store: CatalogStore, dataDir: string, configured?: AccessKeyPair): Promise<{ pair: AccessKeyPair; createdFile?: string }> {
  let pair = configured ?? readStoredAdminKey(dataDir);
  let createdFile: string | undefined;
  if (!pair) {
    pair = generateAccessKeyPair();
    createdFile = adminKeyPath(dataDir);
    fs.writeFileSync(createdFile, JSON.stringify({ AccessKeyId: pair.accessKeyId, AccessKeySecret: pair.secret }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  }
  const principal = (await store.findPrincipalByName(ADMIN_PRINCIPAL)) ?? (await store.createPrincipal(ADMIN_PRINCIPAL, true));
  await store.putAccessKey({ accessKeyId: pair.accessKeyId, secret: pair.secret, principalId: principal.id });
  return { pair, createdFile };
}

export function ensureDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
}
