/**
 * Verifies a signed RPC request (docs/design.md section 3): V3 when an Authorization header is present
 * (it must be ACS3-HMAC-SHA256), else V2 when a Signature query parameter is present.
 * Two phases, so the body is read only for a caller who got past the first:
 * `authenticateHead` checks what the request line and headers carry; `complete` then checks
 * what depends on the body.
 *
 * Order matters:
 * - V3 is fully verified from its headers (the signature covers x-acs-content-sha256, not the
 *   bytes); the body is read afterwards and its SHA-256 checked against the signed hash on the
 *   raw bytes before the body is parsed;
 * - V2 signs the body parameters, so before the body is read only its shape, timestamp and
 *   AccessKey are checked; the signature is checked once the body is in;
 * - the timestamp window (15 minutes, like the Alibaba Cloud gateway) is checked before the
 *   AccessKey is looked up, so stale replays cost nothing;
 * - the nonce is claimed only after the signature verified, so a forger cannot burn the nonces of
 *   legitimate clients; it is remembered for as long as its timestamp stays acceptable.
 */
import {
  accessKeyNotFound, contentSha256Mismatch, incompleteSignature, missingAuthParameter, nonceUsed, paramInvalid,
  signatureMismatch, timestampExpired, timestampFormat,
} from './errors.ts';
import { constantTimeEquals } from './constant-time.ts';
import { computeV2Signature } from './signature-v2.ts';
import { V3_ALGORITHM, computeV3Signature, sha256Hex } from './signature-v3.ts';
import type { CredentialLookup, NonceRegistry } from './ports.ts';

export const CLOCK_SKEW_MS = 15 * 60_000;
/** Headers a V3 client must sign: without them a request could be replayed or re-targeted. */
export const REQUIRED_V3_SIGNED_HEADERS = ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'x-acs-action', 'x-acs-version'] as const;
const MAX_NONCE_LENGTH = 128;

export interface SignedHead {
  method: string;
  /** The path as received (RPC: `/`). */
  path: string;
  /** Every value of every header by lower-case name (`IncomingMessage.headersDistinct`). */
  headers: Record<string, string[] | undefined>;
  /** Decoded query parameters (duplicates already rejected). */
  query: Record<string, string>;
}

export interface SignedBody {
  rawBody: Buffer;
  /** The decoded form body; called only after the V3 body hash has been checked. */
  bodyParams: () => Record<string, string>;
}

export interface Caller { accessKeyId: string; principalId: string; action: string; version: string }

/** A request whose head passed; `complete` checks the body part and claims the nonce. */
export interface PendingAuth {
  /** V3: the caller is already authenticated by its headers; V2: only its key and timestamp are. */
  signature: 'v2' | 'v3';
  complete(body: SignedBody): Promise<Caller>;
}

export interface AuthOptions {
  credentials: CredentialLookup;
  nonces: NonceRegistry;
  /** The host clients sign when they reach us through a proxy (docs/design.md 3). */
  publicHost?: string;
  /** Server clock, ms since the epoch (injectable for tests). */
  clock: () => number;
}

export async function authenticateHead(req: SignedHead, opts: AuthOptions): Promise<PendingAuth> {
  const authorization = header(req.headers, 'authorization');
  if (authorization !== undefined) return authenticateV3(req, authorization, opts);
  if (req.query.Signature !== undefined) return authenticateV2(req, opts);
  throw missingAuthParameter('Signature (or an ACS3-HMAC-SHA256 Authorization header)');
}

async function authenticateV3(req: SignedHead, authorization: string, opts: AuthOptions): Promise<PendingAuth> {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== V3_ALGORITHM) throw incompleteSignature(`the signature algorithm ${JSON.stringify(algorithm.slice(0, 40))} is not supported; use ${V3_ALGORITHM}`);
  const fields = parseAuthorization(space < 0 ? '' : authorization.slice(space + 1));
  const accessKeyId = fields.get('Credential');
  const signature = fields.get('Signature');
  const signedList = fields.get('SignedHeaders');
  if (!accessKeyId || !signature || !signedList) throw incompleteSignature('Authorization must hold Credential, SignedHeaders and Signature');

  const signedNames = signedList.split(';').map((h) => h.trim().toLowerCase());
  if (signedNames.some((h) => h === '' || h === 'authorization') || new Set(signedNames).size !== signedNames.length) {
    throw incompleteSignature('SignedHeaders must be distinct header names, without authorization');
  }
  for (const name of REQUIRED_V3_SIGNED_HEADERS) {
    if (!signedNames.includes(name)) throw incompleteSignature(`SignedHeaders must include ${name}`);
    if (!header(req.headers, name)) throw missingAuthParameter(name);
  }

  const claimedSha = header(req.headers, 'x-acs-content-sha256')!;
  if (!/^[0-9a-fA-F]{64}$/.test(claimedSha)) throw contentSha256Mismatch();

  const nonce = header(req.headers, 'x-acs-signature-nonce')!;
  const signedAt = checkTimestamp(header(req.headers, 'x-acs-date')!, 'x-acs-date', opts.clock());
  checkNonceShape(nonce);
  const key = await opts.credentials.findAccessKey(accessKeyId);
  if (!key) throw accessKeyNotFound();

  // The client signs `host` exactly as it addressed us; behind a proxy that is the public host.
  const hosts = [header(req.headers, 'host') ?? '', ...(opts.publicHost ? [opts.publicHost] : [])];
  const given = signature.toLowerCase();
  const matches = hosts.some((host) => {
    const signedHeaders = signedNames.map((name): [string, string] => [name, name === 'host' ? host : canonicalValue(req.headers, name)]);
    const expected = computeV3Signature({ method: req.method, path: req.path, query: req.query, signedHeaders, payloadSha256: claimedSha }, key.secret);
    return constantTimeEquals(expected, given);
  });
  if (!matches) throw signatureMismatch();
  const caller = { accessKeyId, principalId: key.principalId, action: header(req.headers, 'x-acs-action')!, version: header(req.headers, 'x-acs-version')! };
  return {
    signature: 'v3',
    async complete(body) {
      if (!constantTimeEquals(sha256Hex(body.rawBody), claimedSha.toLowerCase())) throw contentSha256Mismatch();
      await claimNonce(accessKeyId, nonce, signedAt, opts);
      return caller;
    },
  };
}

async function authenticateV2(req: SignedHead, opts: AuthOptions): Promise<PendingAuth> {
  const q = req.query;
  for (const name of ['AccessKeyId', 'SignatureNonce', 'Timestamp', 'Action', 'Version']) {
    if (!q[name]) throw missingAuthParameter(name);
  }
  if (q.SignatureMethod !== undefined && q.SignatureMethod !== 'HMAC-SHA1') throw incompleteSignature('SignatureMethod must be HMAC-SHA1');
  if (q.SignatureVersion !== undefined && q.SignatureVersion !== '1.0') throw incompleteSignature('SignatureVersion must be 1.0');
  if (q.SignatureType !== undefined) throw incompleteSignature(`SignatureType ${JSON.stringify(q.SignatureType.slice(0, 40))} is not supported`);
  const signedAt = checkTimestamp(q.Timestamp, 'Timestamp', opts.clock());
  checkNonceShape(q.SignatureNonce);
  const key = await opts.credentials.findAccessKey(q.AccessKeyId);
  if (!key) throw accessKeyNotFound();

  return {
    signature: 'v2',
    async complete(signed) {
      // V2 signs the query and the form body as one set, so a name may appear only once overall.
      const body = signed.bodyParams();
      for (const k of Object.keys(body)) if (Object.hasOwn(q, k)) throw paramInvalid(k, 'appears both in the query string and in the form body');
      const expected = computeV2Signature({ ...q, ...body }, req.method, key.secret);
      if (!constantTimeEquals(expected, q.Signature)) throw signatureMismatch();
      await claimNonce(q.AccessKeyId, q.SignatureNonce, signedAt, opts);
      return { accessKeyId: q.AccessKeyId, principalId: key.principalId, action: q.Action, version: q.Version };
    },
  };
}

/** ISO 8601 UTC `YYYY-MM-DDThh:mm:ssZ` (fractional seconds tolerated), within 15 minutes of now. */
function checkTimestamp(stamp: string, name: string, now: number): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/.exec(stamp);
  if (!m) throw timestampFormat(name);
  const at = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  // Date.UTC rolls 2026-02-31 over to March; a round trip catches such impossible dates.
  if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 19) !== stamp.slice(0, 19)) throw timestampFormat(name);
  if (Math.abs(now - at) > CLOCK_SKEW_MS) throw timestampExpired();
  return at;
}

function checkNonceShape(nonce: string): void {
  if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) throw incompleteSignature(`the signature nonce must be 1-${MAX_NONCE_LENGTH} characters`);
}

async function claimNonce(accessKeyId: string, nonce: string, signedAt: number, opts: AuthOptions): Promise<void> {
  // Past signedAt + 15 min the timestamp check rejects a replay, so the nonce need not outlive that.
  if (!(await opts.nonces.claim(accessKeyId, nonce, signedAt + CLOCK_SKEW_MS + 60_000))) throw nonceUsed();
}

/** `Credential=AK,SignedHeaders=a;b,Signature=hex`; a repeated field is malformed. */
function parseAuthorization(rest: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of rest.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (out.has(name)) throw incompleteSignature(`Authorization repeats ${name}`);
    out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

function header(headers: SignedHead['headers'], name: string): string | undefined {
  const values = headers[name];
  return values === undefined || values.length === 0 ? undefined : values.join(',');
}

/** The client joins repeated headers as their trimmed values, sorted, separated by `,` (openapi-core getAuthorizationHeaders). */
function canonicalValue(headers: SignedHead['headers'], name: string): string {
  return (headers[name] ?? []).map((v) => v.trim()).sort().join(',');
}
