/**
 * Verifies a signed RPC request (design.md section 3): V3 when the Authorization header says
 * ACS3-HMAC-SHA256, else V2 when a Signature parameter is present. Order matters: the body hash
 * is checked on the raw bytes before anything is parsed, the signature before the nonce is
 * recorded (so forged requests cannot burn nonces), and the timestamp window bounds how long
 * nonces must be remembered.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  accessKeyNotFound, incompleteSignature, missingAuthParameter, nonceUsed, signatureMismatch, timestampExpired, timestampFormat,
} from './errors.ts';
import { constantTimeEquals } from './constant-time.ts';
import { computeV2Signature } from './signature-v2.ts';
import { V3_ALGORITHM, computeV3Signature, sha256Hex } from './signature-v3.ts';
import type { CredentialLookup, NonceRegistry } from './ports.ts';

export const CLOCK_SKEW_MS = 15 * 60_000;
const REQUIRED_V3_HEADERS = ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'x-acs-action', 'x-acs-version'];

export interface SignedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  query: Record<string, string>;
  rawBody: Buffer;
  /** Form-body parameters (V2 signs them); parsed by the caller. */
  bodyParams: () => Record<string, string>;
}

export interface Caller { accessKeyId: string; principalId: string; action: string; version: string }

export interface AuthOptions { credentials: CredentialLookup; nonces: NonceRegistry; publicHost?: string; now: () => number }

export async function authenticate(req: SignedRequest, opts: AuthOptions): Promise<Caller> {
  const authorization = header(req.headers, 'authorization');
  if (authorization !== undefined && authorization.startsWith(V3_ALGORITHM)) return authenticateV3(req, authorization, opts);
  if (req.query.Signature !== undefined) return authenticateV2(req, opts);
  throw incompleteSignature('no Authorization header (ACS3-HMAC-SHA256) and no Signature parameter');
}

async function authenticateV3(req: SignedRequest, authorization: string, opts: AuthOptions): Promise<Caller> {
  const fields = parseAuthorization(authorization.slice(V3_ALGORITHM.length));
  const accessKeyId = fields.Credential;
  const signature = fields.Signature;
  if (!accessKeyId || !signature || !fields.SignedHeaders) throw incompleteSignature('Authorization needs Credential, SignedHeaders and Signature');
  const signedNames = fields.SignedHeaders.split(';').map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const required of REQUIRED_V3_HEADERS) {
    if (!signedNames.includes(required)) throw incompleteSignature(`SignedHeaders must include ${required}`);
  }
  for (const required of REQUIRED_V3_HEADERS) {
    if (!header(req.headers, required)) throw missingAuthParameter(required);
  }
  const claimedSha = header(req.headers, 'x-acs-content-sha256')!;
  if (!constantTimeEquals(sha256Hex(req.rawBody), claimedSha.toLowerCase())) {
    throw incompleteSignature('x-acs-content-sha256 does not match the request body');
  }
  const date = header(req.headers, 'x-acs-date')!;
  const nonce = header(req.headers, 'x-acs-signature-nonce')!;
  const action = header(req.headers, 'x-acs-action')!;
  const version = header(req.headers, 'x-acs-version')!;
  const key = await opts.credentials.findAccessKey(accessKeyId);
  if (!key) throw accessKeyNotFound();

  const hosts = [header(req.headers, 'host') ?? '', ...(opts.publicHost ? [opts.publicHost] : [])];
  const matches = hosts.some((host) => {
    const signedHeaders = signedNames.map((name): [string, string] => [name, name === 'host' ? host : header(req.headers, name) ?? '']);
    const expected = computeV3Signature({ method: req.method, path: req.path, query: req.query, signedHeaders, payloadSha256: claimedSha }, key.secret);
    return constantTimeEquals(expected, signature.toLowerCase());
  });
  if (!matches) throw signatureMismatch();
  await checkFreshness(date, 'x-acs-date', accessKeyId, nonce, opts);
  return { accessKeyId, principalId: key.principalId, action, version };
}

async function authenticateV2(req: SignedRequest, opts: AuthOptions): Promise<Caller> {
  const q = req.query;
  for (const name of ['AccessKeyId', 'SignatureNonce', 'Timestamp', 'Action', 'Version']) {
    if (!q[name]) throw missingAuthParameter(name);
  }
  if (q.SignatureMethod !== undefined && q.SignatureMethod !== 'HMAC-SHA1') throw incompleteSignature('SignatureMethod must be HMAC-SHA1');
  const key = await opts.credentials.findAccessKey(q.AccessKeyId);
  if (!key) throw accessKeyNotFound();
  const body = req.bodyParams();
  for (const k of Object.keys(body)) if (k in q) throw incompleteSignature(`parameter ${k} is sent twice (query and body)`);
  const expected = computeV2Signature({ ...q, ...body }, req.method, key.secret);
  if (!constantTimeEquals(expected, q.Signature)) throw signatureMismatch();
  await checkFreshness(q.Timestamp, 'Timestamp', q.AccessKeyId, q.SignatureNonce, opts);
  return { accessKeyId: q.AccessKeyId, principalId: key.principalId, action: q.Action, version: q.Version };
}

async function checkFreshness(stamp: string, name: string, accessKeyId: string, nonce: string, opts: AuthOptions): Promise<void> {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z$/.exec(stamp);
  if (!m) throw timestampFormat(name);
  const at = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const now = opts.now();
  if (Number.isNaN(at) || Math.abs(now - at) > CLOCK_SKEW_MS) throw timestampExpired();
  if (nonce.length === 0 || nonce.length > 128) throw incompleteSignature('the signature nonce must be 1-128 characters');
  // A nonce need only be remembered while its timestamp is acceptable.
  if (!(await opts.nonces.claim(accessKeyId, nonce, at + CLOCK_SKEW_MS + 60_000))) throw nonceUsed();
}

function parseAuthorization(rest: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of rest.trim().split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}
