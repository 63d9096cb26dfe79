/**
 * Seals secrets kept in the catalog (data source Content, AccessKey secrets) with AES-256-GCM
 * under the installation's master key, which lives outside the catalog (OPENDI_MASTER_KEY or the
 * data dir's 0600 `master.key`, src/config/master-key.ts). Each sealed value is bound to where it
 * belongs (`context`, authenticated but not stored), so a sealed value copied into another row
 * does not open.
 *
 * Format: `v1:` + base64(12-byte IV | 16-byte tag | ciphertext).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const MASTER_KEY_BYTES = 32;
const PREFIX = 'v1:';

/** A sealed value did not open: another master key sealed it, or it was altered. */
export class SealError extends Error {}

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== MASTER_KEY_BYTES) throw new Error(`the master key must be ${MASTER_KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
  }

  /** A box with a random key that only this process knows (tests, throwaway catalogs). */
  static ephemeral(): SecretBox {
    return new SecretBox(randomBytes(MASTER_KEY_BYTES));
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string, context: string): string {
    if (!sealed.startsWith(PREFIX)) throw new SealError('not a sealed value');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    if (raw.length < 28) throw new SealError('sealed value is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealError('sealed value does not open with this master key');
    }
  }
}
