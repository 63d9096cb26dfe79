/**
 * The master key that seals the catalog's secrets (src/store/secret-box.ts). From
 * OPENDI_MASTER_KEY when set (64 hex digits or 32 bytes in base64), else from the file named by
 * OPENDI_MASTER_KEY_FILE (which must exist: e.g. a mounted secret), else the data dir's
 * `master.key`, created owner-only on first start. Every node sharing a PostgreSQL catalog needs
 * the same key (README "Catalog on PostgreSQL"); the catalog refuses another one at open.
 * It is never logged and never stored in the catalog.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SecretBox } from '../store/secret-box.ts';
import { MASTER_KEY_FILE, decodeMasterKey, secretBoxFromKeyFile } from '../store/master-key-file.ts';
import { ConfigError } from './service-config.ts';

export { MASTER_KEY_FILE } from '../store/master-key-file.ts';

/** `fromEnv`: the OPENDI_MASTER_KEY value, when set; `keyFile`: OPENDI_MASTER_KEY_FILE, when set. */
export function loadSecretBox(dataDir: string, fromEnv: string | undefined, keyFile?: string): SecretBox {
  try {
    if (fromEnv !== undefined) return new SecretBox(decodeMasterKey(fromEnv, 'OPENDI_MASTER_KEY'));
    if (keyFile !== undefined) {
      if (!fs.existsSync(keyFile)) throw new Error(`OPENDI_MASTER_KEY_FILE ${keyFile} does not exist (create it with: openssl rand -hex 32 > ${keyFile})`);
      return new SecretBox(decodeMasterKey(fs.readFileSync(keyFile, 'utf8'), keyFile));
    }
    return secretBoxFromKeyFile(path.join(dataDir, MASTER_KEY_FILE));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}
