/**
 * The console signs in the browser exactly as @alicloud/openapi-core does (console/src/api): its
 * canonical form reproduces the V3 vector captured from the SDK (docs/design.md section 3), its
 * signed calls pass the service's own verifier with query and form-body parameters (and fail it
 * with a wrong secret), and the plain SHA-256 / HMAC used where WebCrypto is hidden (plain-HTTP
 * pages) agrees with node:crypto.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { hmacSha256, plainHasher, sha256, webCryptoHasher, hex } from '../console/src/api/hash.ts';
import { acsDate, signCall, signatureOf } from '../console/src/api/sign-v3.ts';
import { authenticateHead, type AuthOptions, type SignedHead, type SignedBody } from '../src/protocol/authenticate.ts';
import { parseFormBody, parseParams } from '../src/protocol/read-request.ts';

const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('the canonical form reproduces the SDK vector (StopDISyncInstance, secret SK1), with both hashers', async () => {
  for (const hasher of [plainHasher, webCryptoHasher(globalThis.crypto.subtle)]) {
    const signature = await signatureOf('POST', { ProjectId: '10000', TaskType: 'DI_REALTIME', FileId: '100' }, {
      host: '127.0.0.1:18081',
      'x-acs-action': 'StopDISyncInstance',
      'x-acs-content-sha256': EMPTY_SHA,
      'x-acs-credentials-provider': 'static_ak',
      'x-acs-date': '2026-11-28T19:38:53Z',
      'x-acs-signature-nonce': '97828d1ae43cfd99862a85b97e4601b52207be76432cb228afc6b5e9425100c8',
      'x-acs-version': '2020-05-18',
    }, 'SK1', hasher);
    assert.equal(signature, 'a24da92fc9544e2b180153374e9ef3f5283275dcb9b31bd154b25c9cd9785788');
  }
});

test('plain SHA-256 and HMAC-SHA256 agree with node:crypto (empty, block edges, long keys, UTF-8)', () => {
  const lengths = [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_000];
  for (const n of lengths) {
    const data = randomBytes(n);
    assert.equal(hex(sha256(data)), createHash('sha256').update(data).digest('hex'), `sha256 of ${n} bytes`);
    for (const keyLength of [0, 3, 64, 65, 200]) {
      const key = randomBytes(keyLength);
      assert.equal(hex(hmacSha256(key, data)), createHmac('sha256', key).update(data).digest('hex'), `hmac key ${keyLength} data ${n}`);
    }
  }
  const text = new TextEncoder().encode('çé 😀 ünïcode');
  assert.equal(hex(sha256(text)), createHash('sha256').update(text).digest('hex'));
});

for (const [label, hasher] of [['WebCrypto', webCryptoHasher(globalThis.crypto.subtle)], ['plain', plainHasher]] as const) {
  test(`a call signed in the console (${label}) passes the service's verifier; a wrong secret does not`, async () => {
    const key = { accessKeyId: 'ODAKCONSOLE01', accessKeySecret: 's3cret-console-key' };
    const signed = await signCall({
      action: 'CreateDIJob', version: '2024-05-18', method: 'POST',
      query: { ProjectId: '10000', Name: "orders (copy) * 'ü'!", MigrationType: 'FullAndRealtimeIncremental' },
      body: { TableMappings: JSON.stringify([{ SourceObjectSelectionRules: [{ Expression: 'a+b c&d=é' }] }]) },
    }, key, { host: '127.0.0.1:8080', date: acsDate(new Date()), nonce: 'n'.repeat(64), hasher });
    const url = new URL(signed.url, 'http://127.0.0.1:8080');
    const headers: Record<string, string[]> = { host: ['127.0.0.1:8080'] };
    for (const [name, value] of Object.entries(signed.headers)) headers[name] = [value];
    const rawBody = Buffer.from(signed.body ?? '', 'utf8');
    const request: SignedHead = { method: signed.method, path: url.pathname, headers, query: parseParams(url.search.slice(1), 'query string') };
    const body: SignedBody = { rawBody, bodyParams: () => parseFormBody(headers['content-type']?.[0], rawBody) };
    const authenticate = async (o: AuthOptions) => (await authenticateHead(request, o)).complete(body);
    const claimed = new Set<string>();
    const opts = (secret: string): AuthOptions => ({
      credentials: { findAccessKey: async (id: string) => (id === key.accessKeyId ? { secret, principalId: 'p1' } : undefined) },
      nonces: { claim: async (_ak: string, nonce: string) => !claimed.has(nonce) && !!claimed.add(nonce) },
      clock: Date.now,
    });
    await assert.rejects(authenticate(opts('another-secret')), (e: any) => e.code === 'SignatureDoesNotMatch');
    const caller = await authenticate(opts(key.accessKeySecret));
    assert.deepEqual(caller, { accessKeyId: key.accessKeyId, principalId: 'p1', action: 'CreateDIJob', version: '2024-05-18' });
    assert.equal(request.query.Name, "orders (copy) * 'ü'!");
    assert.deepEqual(JSON.parse(body.bodyParams().TableMappings), [{ SourceObjectSelectionRules: [{ Expression: 'a+b c&d=é' }] }]);
    assert.ok(!('host' in signed.headers), 'the browser sets Host itself');
    assert.ok(!JSON.stringify(signed).includes(key.accessKeySecret), 'the secret is never part of the request');
  });
}
