/**
 * The master key that seals the catalog's secrets (src/store/secret-box.ts). From
 * OPENDI_MASTER_KEY when set (64 hex digits or 32 bytes in base64; every node sharing a catalog
 * needs the same one), else the data dir's `master.key`, created owner-only on first start.
 * It is never logged and never stored in the catalog.
 */
import path from 'node:path';
import { SecretBox } from '../store/secret-box.ts';
import { MASTER_KEY_FILE, decodeMasterKey, secretBoxFromKeyFile } from '../store/master-key-file.ts';
import { ConfigError } from './service-config.ts';

export { MASTER_KEY_FILE } from '../store/master-key-file.ts';

/** `fromEnv`: the OPENDI_MASTER_KEY value, when set. */
export function loadSecretBox(dataDir: string, fromEnv: string | undefined): SecretBox {
  try {
    return fromEnv !== undefined ? new SecretBox(decodeMasterKey(fromEnv, 'OPENDI_MASTER_KEY')) : secretBoxFromKeyFile(path.join(dataDir, MASTER_KEY_FILE));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}
