/**
 * What the protocol edge needs from the rest of the service, injected (docs/design.md section 6:
 * ports are small interfaces with the contract in a doc comment; adapters live elsewhere).
 */

/** Resolves an AccessKey ID to its secret and the principal it acts for. */
export interface CredentialLookup {
  /** undefined when the key does not exist (or is disabled): the caller answers InvalidAccessKeyId.NotFound. */
  findAccessKey(accessKeyId: string): Promise<{ secret: string; principalId: string } | undefined>;
}

/**
 * Remembers signature nonces per AccessKey so a captured request cannot be replayed.
 * `claim` must be atomic (two concurrent claims of one nonce: exactly one gets true) and must
 * keep the nonce at least until `expiresAtMs`; after that the timestamp check rejects a replay,
 * so the entry may be purged.
 */
export interface NonceRegistry {
  /** true when the nonce was free and is now recorded; false when it was already used. */
  claim(accessKeyId: string, nonce: string, expiresAtMs: number): Promise<boolean>;
}
