/**
 * The master key that seals the catalog's secrets (src/store/secret-box.ts). From
 * OPENDI_MASTER_KEY when set (64 hex digits or 32 bytes in base64; every node sharing a catalog
 * needs the same one), else the data dir's `master.key`, created owner-only on first start.
 * It is never logged and never stored in the catalog.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MASTER_KEY_BYTES, SecretBox } from '../store/secret-box.ts';
import { ConfigError } from './service-config.ts';

export const MASTER_KEY_FILE = 'master.key';

/** `fromEnv`: the OPENDI_MASTER_KEY value, when set. */
export function loadSecretBox(dataDir: string, fromEnv: string | undefined): SecretBox {
  if (fromEnv !== undefined) return new SecretBox(decodeKey(fromEnv, 'OPENDI_MASTER_KEY'));
  const file = path.join(dataDir, MASTER_KEY_FILE);
  if (!fs.existsSync(file)) {
    try {
      fs.writeFileSync(file, randomBytes(MASTER_KEY_BYTES).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process (the CLI next to the service) created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return new SecretBox(decodeKey(fs.readFileSync(file, 'utf8'), file));
}

function decodeKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== MASTER_KEY_BYTES || (!/^[0-9a-fA-F]{64}$/.test(t) && key.toString('base64').replace(/=+$/, '') !== t.replace(/=+$/, ''))) {
    throw new ConfigError(`${where} must hold a ${MASTER_KEY_BYTES}-byte key as 64 hex digits or base64 (e.g. openssl rand -hex 32)`);
  }
  return key;
}
