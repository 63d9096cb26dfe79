/** What the protocol edge needs from the catalog, injected (design.md section 6: ports). */
export interface CredentialLookup {
  findAccessKey(accessKeyId: string): Promise<{ secret: string; principalId: string } | undefined>;
}

export interface NonceRegistry {
  /** Records a nonce until expiresAtMs; false when it was already used. */
  claim(accessKeyId: string, nonce: string, expiresAtMs: number): Promise<boolean>;
}
