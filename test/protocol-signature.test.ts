/** Both signature algorithms reproduce the vectors captured from @alicloud/openapi-core (docs/design.md section 3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeV2Signature } from '../src/protocol/signature-v2.ts';
import { computeV3Signature, sha256Hex } from '../src/protocol/signature-v3.ts';
import { constantTimeEquals } from '../src/protocol/constant-time.ts';
import { parsePairs, popEncode } from '../src/protocol/percent-encoding.ts';

test('V2 vector: {test: ok}, empty method, secret accessKeySecret', () => {
  assert.equal(computeV2Signature({ test: 'ok' }, '', 'accessKeySecret'), 'jHx/oHoHNrbVfhncHEvPdHXZwHU=');
});

test('V3 vector: StopDISyncInstance with secret SK1', () => {
  const emptySha = sha256Hex(Buffer.alloc(0));
  assert.equal(emptySha, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const signature = computeV3Signature({
    method: 'POST', path: '/',
    query: { ProjectId: '10000', TaskType: 'DI_REALTIME', FileId: '100' },
    signedHeaders: [
      ['host', '127.0.0.1:18081'],
      ['x-acs-action', 'StopDISyncInstance'],
      ['x-acs-content-sha256', emptySha],
      ['x-acs-credentials-provider', 'static_ak'],
      ['x-acs-date', '2026-11-28T19:38:53Z'],
      ['x-acs-signature-nonce', '97828d1ae43cfd99862a85b97e4601b52207be76432cb228afc6b5e9425100c8'],
      ['x-acs-version', '2020-05-18'],
    ],
    payloadSha256: emptySha,
  }, 'SK1');
  assert.equal(signature, 'a24da92fc9544e2b180153374e9ef3f5283275dcb9b31bd154b25c9cd9785788');
});

test('POP percent-encoding and strict decoding', () => {
  assert.equal(popEncode("a b!'()*~"), 'a%20b%21%27%28%29%2A~');
  assert.deepEqual(parsePairs('a=1&b=x+y&c=%E4%B8%AD&d'), [['a', '1'], ['b', 'x y'], ['c', '中'], ['d', '']]);
  assert.throws(() => parsePairs('a=%E4%B8'), /malformed/);
});

test('constant-time comparison handles unequal lengths', () => {
  assert.equal(constantTimeEquals('abc', 'abc'), true);
  assert.equal(constantTimeEquals('abc', 'abd'), false);
  assert.equal(constantTimeEquals('abc', 'abcd'), false);
});
