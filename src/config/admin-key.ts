/**
 * The administrator's AccessKey pairs. The data dir's key file (created owner-only on first start
 * when no key comes from the environment) and OPENDI_ACCESS_KEY_ID/SECRET both act for the
 * built-in principal `admin`, a name no other principal may take. A key from the environment
 * replaces the previous environment-provided one (rotation revokes the old key); the file's key
 * stays until revoked (`opendi principal revoke`), and a revoked file key is replaced by a new
 * file at the next start. Only the file's path is ever printed, never a secret.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CatalogStore, PrincipalRecord } from '../store/catalog-store.ts';
import { ConfigError } from './service-config.ts';

export const ADMIN_PRINCIPAL = 'admin';
export const ADMIN_KEY_FILE = 'admin-access-key.json';

export interface AccessKeyPair { accessKeyId: string; secret: string }

export interface AdminKeyOutcome {
  /** The key file written at this start (first start, or the previous file key was revoked). */
  createdFile?: string;
  /** Keys revoked at this start (a rotated environment key, legacy keys of the admin principal). */
  revoked: string[];
  /** The principal named admin was not the administrator (an older `principal create admin`) and was made it. */
  promoted: boolean;
}

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
  let v: { AccessKeyId?: unknown; AccessKeySecret?: unknown };
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON (${(err as Error).message}); restore it or move it away`);
  }
  if (typeof v.AccessKeyId !== 'string' || typeof v.AccessKeySecret !== 'string') throw new ConfigError(`${file} must hold AccessKeyId and AccessKeySecret`);
  return { accessKeyId: v.AccessKeyId, secret: v.AccessKeySecret };
}

function writeKeyFile(dataDir: string, pair: AccessKeyPair): string {
  const file = adminKeyPath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ AccessKeyId: pair.accessKeyId, AccessKeySecret: pair.secret }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, file);
  return file;
}

/** The built-in administrator principal, created when missing; promoted if a plain principal took its name. */
async function adminPrincipal(store: CatalogStore): Promise<{ principal: PrincipalRecord; promoted: boolean }> {
  const found = await store.findPrincipalByName(ADMIN_PRINCIPAL);
  if (!found) return { principal: await store.createPrincipal(ADMIN_PRINCIPAL, true), promoted: false };
  if (found.isAdmin && !found.disabled) return { principal: found, promoted: false };
  await store.updatePrincipal(found.id, { isAdmin: true, disabled: false });
  return { principal: { ...found, isAdmin: true, disabled: false }, promoted: !found.isAdmin };
}

/** Ensures the administrator holds the configured key and/or the file's key; see the module comment. */
export async function ensureAdminKey(store: CatalogStore, dataDir: string, configured?: AccessKeyPair): Promise<AdminKeyOutcome> {
  const { principal, promoted } = await adminPrincipal(store);
  const revoked: string[] = [];
  let createdFile: string | undefined;
  let filePair = readStoredAdminKey(dataDir);
  if (filePair && (await store.getAccessKeyInfo(filePair.accessKeyId))?.revokedAt) filePair = undefined;
  if (!filePair && !configured) {
    filePair = generateAccessKeyPair();
    createdFile = writeKeyFile(dataDir, filePair);
  }
  if (filePair) await store.putAccessKey({ ...filePair, principalId: principal.id, origin: 'file' });
  if (configured) {
    const existing = await store.getAccessKeyInfo(configured.accessKeyId);
    if (existing?.revokedAt) throw new ConfigError(`the AccessKey ${configured.accessKeyId} in OPENDI_ACCESS_KEY_ID was revoked; configure a new one`);
    if (existing && existing.principalId !== principal.id) throw new ConfigError(`the AccessKey ${configured.accessKeyId} in OPENDI_ACCESS_KEY_ID belongs to another principal`);
    await store.putAccessKey({ ...configured, principalId: principal.id, origin: 'env' });
  }
  // Given an environment key, the previous one stops working, and so do admin keys of unknown origin
  // (catalogs from before origins were recorded hold every environment key ever used); keys issued
  // to a plain principal that had taken the name admin stop working once it is the administrator.
  for (const k of await store.listAccessKeys(principal.id)) {
    if (k.revokedAt !== null || k.accessKeyId === configured?.accessKeyId || k.accessKeyId === filePair?.accessKeyId) continue;
    if (((k.origin === 'env' || k.origin === 'legacy') && configured) || (promoted && k.origin === 'issued')) {
      if (await store.revokeAccessKey(k.accessKeyId)) revoked.push(k.accessKeyId);
    }
  }
  return { createdFile, revoked, promoted };
}
