/**
 * The master key file next to the catalog (`master.key`, 64 hex digits, owner-only), created on
 * first use. Used when no OPENDI_MASTER_KEY is configured (src/config/master-key.ts) and by any
 * store opened without an explicit key, so reopening a catalog always finds its key.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { MASTER_KEY_BYTES, SecretBox } from './secret-box.ts';

export const MASTER_KEY_FILE = 'master.key';

export function secretBoxFromKeyFile(file: string): SecretBox {
  if (!fs.existsSync(file)) {
    try {
      fs.writeFileSync(file, randomBytes(MASTER_KEY_BYTES).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process (the CLI next to the service) created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return new SecretBox(decodeMasterKey(fs.readFileSync(file, 'utf8'), file));
}

/** 64 hex digits or 32 bytes in base64; throws naming `where`. */
export function decodeMasterKey(text: string, where: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  const key = Buffer.from(t, 'base64');
  if (key.length === MASTER_KEY_BYTES && key.toString('base64').replace(/=+$/, '') === t.replace(/=+$/, '')) return key;
  throw new Error(`${where} must hold a ${MASTER_KEY_BYTES}-byte key as 64 hex digits or base64 (e.g. openssl rand -hex 32)`);
}
