/**
 * The HTTP edge in-process, called through the real client library (@alicloud/openapi-core) with
 * both signatures, and with raw requests (captured from that library and replayed or tampered)
 * for what the library would never send. The handlers echo the decoded parameters: this file is
 * about the edge only. Every rejected request must leave the handler uncalled.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import OpenApiModule, { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import { createApiServer, type ApiServerOptions } from '../src/protocol/api-server.ts';
import { createActionRegistry, type ActionContext } from '../src/protocol/action-registry.ts';
import type { CredentialLookup, NonceRegistry } from '../src/protocol/ports.ts';
import type { Logger } from '../src/logger.ts';

const OpenApiClient = OpenApiModule.default;
type OpenApiClient = InstanceType<typeof OpenApiClient>;

const AK = 'ODAKEDGETEST0001';
const SECRET = 'edge-secret-0123456789abcdef';
const PRINCIPAL = 'principal-edge';
const VERSION = '2020-05-18';
const ERROR_KEYS = ['Code', 'HostId', 'Message', 'Recommend', 'RequestId'];
const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

interface Edge { port: number; calls: ActionContext[]; logs: string[]; close(): Promise<void> }

async function startEdge(overrides: Partial<ApiServerOptions> = {}): Promise<Edge> {
  const calls: ActionContext[] = [];
  const logs: string[] = [];
  const echo = async (ctx: ActionContext) => {
    calls.push(ctx);
    if (ctx.params.TaskName === 'explode') throw new Error('handler fault: boom');
    return { Success: true, Data: { Params: ctx.params, PrincipalId: ctx.principalId, AccessKeyId: ctx.accessKeyId, Action: ctx.action, Version: ctx.version } };
  };
  const registry = createActionRegistry();
  registry.register(VERSION, 'GetProject', echo);
  registry.register(VERSION, 'CreateDISyncTask', echo);
  registry.register(VERSION, 'ListProjects', echo);
  const credentials: CredentialLookup = {
    findAccessKey: async (id) => (id === AK ? { secret: SECRET, principalId: PRINCIPAL } : undefined),
  };
  const used = new Map<string, number>();
  const nonces: NonceRegistry = {
    claim: async (ak, nonce, expiresAtMs) => {
      const key = `${ak}\n${nonce}`;
      if ((used.get(key) ?? 0) > Date.now()) return false;
      used.set(key, expiresAtMs);
      return true;
    },
  };
  const recordingLogger = (base: Record<string, unknown>): Logger => {
    const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => { logs.push(JSON.stringify({ level, msg, ...base, ...fields })); };
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (f) => recordingLogger({ ...base, ...f }) };
  };
  const server = createApiServer({ registry, credentials, nonces, logger: recordingLogger({}), hostId: 'opendi-test', ...overrides });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    calls,
    logs,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function makeClient(port: number, signature: 'v2' | 'v3', key = { id: AK, secret: SECRET }): OpenApiClient {
  return new OpenApiClient(new $OpenApiUtil.Config({
    accessKeyId: key.id, accessKeySecret: key.secret, endpoint: `127.0.0.1:${port}`, protocol: 'http',
    signatureAlgorithm: signature === 'v2' ? 'v2' : undefined, readTimeout: 10_000, connectTimeout: 5_000,
  }));
}

interface CallOptions { query?: Record<string, string>; body?: Record<string, unknown>; headers?: Record<string, string>; method?: string; version?: string }
interface CallResult { statusCode: number; headers: Record<string, string>; body: Record<string, any> }

async function call(client: OpenApiClient, action: string, o: CallOptions = {}): Promise<CallResult> {
  const params = new $OpenApiUtil.Params({
    action, version: o.version ?? VERSION, protocol: 'HTTP', pathname: '/', method: o.method ?? 'POST',
    authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
  });
  const request = new $OpenApiUtil.OpenApiRequest({ query: o.query, body: o.body, headers: o.headers });
  return (await client.callApi(params, request, new $dara.RuntimeOptions({ autoretry: false, maxAttempts: 0 }))) as CallResult;
}

/** Asserts the library saw an error answer of this status and code, shaped as the error catalog says. */
async function rejects(p: Promise<unknown>, status: number, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.statusCode, status, `status of ${e.code}: ${e.data?.Message}`);
    assert.equal(e.code, code, e.data?.Message);
    assert.deepEqual(Object.keys(e.data).sort(), ERROR_KEYS);
    assert.match(e.data.RequestId, REQUEST_ID);
    assert.equal(e.data.HostId, 'opendi-test');
    if (message) assert.match(e.data.Message, message);
    return true;
  });
}

function assertEcho(result: CallResult, params: Record<string, unknown>, action: string): void {
  assert.equal(result.statusCode, 200);
  assert.match(result.body.RequestId, REQUEST_ID);
  assert.equal(result.headers['x-acs-request-id'], result.body.RequestId);
  assert.deepEqual(result.body.Data, { Params: params, PrincipalId: PRINCIPAL, AccessKeyId: AK, Action: action, Version: VERSION });
}

interface RawRequest { method: string; path: string; headers: Record<string, string | string[]>; body: Buffer }
interface RawResponse { status: number; headers: http.IncomingHttpHeaders; json: Record<string, any> }

function send(port: number, r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, setHost: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode!, headers: res.headers, json: text === '' ? {} : JSON.parse(text) });
        } catch {
          reject(new Error(`not JSON (${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** A raw request answered with an error: JSON of exactly the five fields, RequestId also in the header. */
function assertRawError(res: RawResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.equal(res.json.Code, code, res.json.Message);
  assert.deepEqual(Object.keys(res.json).sort(), ERROR_KEYS);
  assert.match(res.json.RequestId, REQUEST_ID);
  assert.equal(res.headers['x-acs-request-id'], res.json.RequestId);
  assert.equal(res.headers['content-type'], 'application/json;charset=utf-8');
  if (message) assert.match(res.json.Message, message);
}

/**
 * Records exactly what @alicloud/openapi-core sends (its own canonicalization, nonce and date),
 * answering `{}`; the captured request can then be replayed to the real edge, as is or tampered.
 */
async function capture(signature: 'v2' | 'v3', action: string, o: CallOptions = {}): Promise<RawRequest> {
  let captured: RawRequest | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]] = req.rawHeaders[i + 1];
      captured = { method: req.method!, path: req.url!, headers, body: Buffer.concat(chunks) };
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await call(makeClient((server.address() as AddressInfo).port, signature), action, o);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return captured!;
}

function withBody(r: RawRequest, body: string): RawRequest {
  const headers = { ...r.headers };
  for (const k of Object.keys(headers)) if (['content-length', 'transfer-encoding'].includes(k.toLowerCase())) delete headers[k];
  return { ...r, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body: Buffer.from(body) };
}

let edge: Edge;
before(async () => { edge = await startEdge(); });
after(async () => { await edge.close(); });

/** Runs `fn` and asserts the handler was not called meanwhile. */
async function handlerNotCalled(fn: () => Promise<void>): Promise<void> {
  const before = edge.calls.length;
  await fn();
  assert.equal(edge.calls.length, before, 'a rejected request must not reach the handler');
}

for (const signature of ['v3', 'v2'] as const) {
  test(`${signature}: POST with parameters in the query string, the form body, or both`, async () => {
    const client = makeClient(edge.port, signature);
    assertEcho(await call(client, 'GetProject', { query: { ProjectId: '10000' } }), { ProjectId: 10000 }, 'GetProject');
    assertEcho(await call(client, 'GetProject', { body: { ProjectId: '10000', ProjectIdentifier: 'ws a+b&c=d!*()' } }),
      { ProjectId: 10000, ProjectIdentifier: 'ws a+b&c=d!*()' }, 'GetProject');
    const content = JSON.stringify({ type: 'realtime', steps: [{ name: 'Reader', parameter: { note: 'ä 中 ~!*\'()' } }] });
    assertEcho(await call(client, 'CreateDISyncTask', {
      query: { ProjectId: '-42', TaskType: 'DI_REALTIME', TaskName: 'n 1', TaskParam: '{"FileFolderPath":"a/b c"}' },
      body: { TaskContent: content },
    }), { ProjectId: -42, TaskType: 'DI_REALTIME', TaskName: 'n 1', TaskParam: '{"FileFolderPath":"a/b c"}', TaskContent: content }, 'CreateDISyncTask');
  });

  test(`${signature}: GET with parameters in the query string`, async () => {
    const client = makeClient(edge.port, signature);
    assertEcho(await call(client, 'GetProject', { method: 'GET', query: { ProjectId: '7', ProjectIdentifier: 'x y' } }),
      { ProjectId: 7, ProjectIdentifier: 'x y' }, 'GetProject');
  });

  test(`${signature}: nested parameters as one JSON string or flattened (Tags.1.Key) decode alike`, async () => {
    const client = makeClient(edge.port, signature);
    const tags = [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'a b' }];
    const expected = { PageNumber: 2, Tags: tags };
    assertEcho(await call(client, 'ListProjects', { query: { PageNumber: '2', Tags: JSON.stringify(tags) } }), expected, 'ListProjects');
    // openapi-core flattens a body object as Tags.1.Key=env&Tags.1.Value=prod&Tags.2.Key=...
    assertEcho(await call(client, 'ListProjects', { query: { PageNumber: '2' }, body: { Tags: tags } }), expected, 'ListProjects');
  });

  test(`${signature}: wrong secret is SignatureDoesNotMatch (400), unknown AccessKeyId is 404`, async () => {
    await handlerNotCalled(async () => {
      await rejects(call(makeClient(edge.port, signature, { id: AK, secret: 'not-the-secret' }), 'GetProject', { query: { ProjectId: '1' } }),
        400, 'SignatureDoesNotMatch');
      await rejects(call(makeClient(edge.port, signature, { id: 'ODAKNOSUCHKEY', secret: SECRET }), 'GetProject', { query: { ProjectId: '1' } }),
        404, 'InvalidAccessKeyId.NotFound');
    });
  });

  test(`${signature}: a reused nonce is SignatureNonceUsed, even with an otherwise fresh request`, async () => {
    const client = makeClient(edge.port, signature);
    const nonce = `nonce-${signature}-${Date.now()}`;
    const force = signature === 'v3' ? { headers: { 'x-acs-signature-nonce': nonce } } : { query: { SignatureNonce: nonce } };
    const first = await call(client, 'GetProject', { ...force, query: { ...force.query, ProjectId: '1' } });
    assert.equal(first.statusCode, 200);
    await handlerNotCalled(() => rejects(call(client, 'GetProject', { ...force, query: { ...force.query, ProjectId: '2' } }), 400, 'SignatureNonceUsed'));
  });

  test(`${signature}: a forged request does not burn the nonce of a later genuine one`, async () => {
    const nonce = `forged-${signature}-${Date.now()}`;
    const force = signature === 'v3' ? { headers: { 'x-acs-signature-nonce': nonce } } : { query: { SignatureNonce: nonce } };
    const forger = makeClient(edge.port, signature, { id: AK, secret: 'guessed-secret' });
    await rejects(call(forger, 'GetProject', { ...force, query: { ...force.query, ProjectId: '1' } }), 400, 'SignatureDoesNotMatch');
    const genuine = await call(makeClient(edge.port, signature), 'GetProject', { ...force, query: { ...force.query, ProjectId: '1' } });
    assert.equal(genuine.statusCode, 200);
  });

  test(`${signature}: a replayed captured request is SignatureNonceUsed`, async () => {
    const captured = await capture(signature, 'GetProject', { query: { ProjectId: '5' } });
    const first = await send(edge.port, captured);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.Data.Params.ProjectId, 5);
    await handlerNotCalled(async () => assertRawError(await send(edge.port, captured), 400, 'SignatureNonceUsed'));
  });

  test(`${signature}: a timestamp more than 15 minutes off the server clock is InvalidTimeStamp.Expired`, async () => {
    const skewed = await startEdge({ clock: () => Date.now() + 20 * 60_000 });
    try {
      await rejects(call(makeClient(skewed.port, signature), 'GetProject', { query: { ProjectId: '1' } }), 400, 'InvalidTimeStamp.Expired');
      assert.equal(skewed.calls.length, 0);
    } finally {
      await skewed.close();
    }
    const ahead = new Date(Date.now() + 14 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const force = signature === 'v3' ? { headers: { 'x-acs-date': ahead } } : { query: { Timestamp: ahead } };
    assert.equal((await call(makeClient(edge.port, signature), 'GetProject', { ...force, query: { ...force.query, ProjectId: '1' } })).statusCode, 200);
  });

  test(`${signature}: unknown action is InvalidAction.NotFound (404), unknown version names the supported ones`, async () => {
    const client = makeClient(edge.port, signature);
    await handlerNotCalled(async () => {
      await rejects(call(client, 'NoSuchAction', { query: { ProjectId: '1' } }), 404, 'InvalidAction.NotFound', /NoSuchAction/);
      await rejects(call(client, 'StopDISyncInstance', { query: { ProjectId: '1' } }), 404, 'InvalidAction.NotFound', /StopDISyncInstance/);
      await rejects(call(client, 'GetProject', { version: '2099-01-01', query: { ProjectId: '1' } }), 400, 'InvalidVersion', /2099-01-01.*2020-05-18/);
    });
  });

  test(`${signature}: unknown top-level parameters are ignored and logged at debug; ill-typed, missing and duplicated ones are Param.Invalid naming them`, async () => {
    const client = makeClient(edge.port, signature);
    const task = { ProjectId: '1', TaskType: 'DI_REALTIME', TaskName: 't' };
    const ignored = await call(client, 'GetProject', { query: { ProjectId: '1', Bogus: 'x' } });
    assert.deepEqual(ignored.body.Data.Params, { ProjectId: 1 });
    assert.ok(edge.logs.some((l) => JSON.parse(l).level === 'debug' && JSON.parse(l).msg === 'request' && JSON.stringify(JSON.parse(l).ignored) === '["Bogus"]'));
    await handlerNotCalled(async () => {
      await rejects(call(client, 'GetProject', { query: { 'ProjectId.1': '1' } }), 400, 'Param.Invalid', /^ProjectId\.1 is not a parameter of GetProject/);
      await rejects(call(client, 'GetProject', { query: { ProjectId: 'abc' } }), 400, 'Param.Invalid', /^ProjectId must be an integer/);
      await rejects(call(client, 'GetProject', { query: { ProjectId: '1.5' } }), 400, 'Param.Invalid', /^ProjectId must be an integer/);
      await rejects(call(client, 'GetProject', { query: { ProjectId: '9007199254740993' } }), 400, 'Param.Invalid', /^ProjectId must be an integer/);
      await rejects(call(client, 'CreateDISyncTask', { query: task }), 400, 'Param.Invalid', /^TaskContent is mandatory for this action/);
      await rejects(call(client, 'CreateDISyncTask', { query: { ...task, ProjectId: '' }, body: { TaskContent: '{}' } }), 400, 'Param.Invalid', /^ProjectId is mandatory/);
      await rejects(call(client, 'CreateDISyncTask', { query: task, body: { TaskContent: '{}', TaskName: 'u' } }), 400, 'Param.Invalid', /^TaskName appears both/);
      await rejects(call(client, 'ListProjects', { query: { Tags: 'not json' } }), 400, 'Param.Invalid', /^Tags must be a JSON array/);
      await rejects(call(client, 'ListProjects', { body: { Tags: [{ Key: 'k', Colour: 'red' }] } }), 400, 'Param.Invalid', /^Tags\.1\.Colour is not a known field/);
    });
  });
}

test('a handler fault is InternalError.System (500) with a generic message; the fault is logged with the RequestId', async () => {
  const client = makeClient(edge.port, 'v3');
  await assert.rejects(call(client, 'CreateDISyncTask', { query: { ProjectId: '1', TaskType: 'DI_REALTIME', TaskName: 'explode' }, body: { TaskContent: '{}' } }),
    (e: any) => {
      assert.equal(e.statusCode, 500);
      assert.equal(e.code, 'InternalError.System');
      assert.deepEqual(Object.keys(e.data).sort(), ERROR_KEYS);
      assert.doesNotMatch(JSON.stringify(e.data), /handler fault|at |\.ts/);
      assert.ok(edge.logs.some((l) => l.includes('unexpected fault') && l.includes(e.data.RequestId)), 'the real error is logged with the RequestId');
      return true;
    });
});

test('v3: a body that does not match x-acs-content-sha256 is rejected before parsing; a tampered query fails the signature', async () => {
  const captured = await capture('v3', 'CreateDISyncTask', { query: { ProjectId: '1', TaskType: 'DI_REALTIME', TaskName: 't' }, body: { TaskContent: 'original' } });
  assert.match(captured.body.toString(), /TaskContent=original/);
  await handlerNotCalled(async () => {
    assertRawError(await send(edge.port, withBody(captured, 'TaskContent=tampered')), 400, 'ContentSHA256NotMatched');
    assertRawError(await send(edge.port, withBody(captured, 'TaskContent=%E4%B8')), 400, 'ContentSHA256NotMatched');
    assertRawError(await send(edge.port, { ...captured, path: captured.path.replace('ProjectId=1', 'ProjectId=2') }), 400, 'SignatureDoesNotMatch');
  });
  const genuine = await send(edge.port, captured);
  assert.equal(genuine.status, 200, JSON.stringify(genuine.json));
  assert.equal(genuine.json.Data.Params.TaskContent, 'original');
});

test('v2: a tampered form body fails the signature', async () => {
  const captured = await capture('v2', 'CreateDISyncTask', { query: { ProjectId: '1', TaskType: 'DI_REALTIME', TaskName: 't' }, body: { TaskContent: 'original' } });
  await handlerNotCalled(async () => {
    assertRawError(await send(edge.port, withBody(captured, 'TaskContent=tampered')), 400, 'SignatureDoesNotMatch');
  });
});

test('v3: the host is verified as received, or as the configured public host behind a proxy', async () => {
  const captured = await capture('v3', 'GetProject', { query: { ProjectId: '3' } });
  const signedHost = captured.headers.host as string;
  const asProxied = (r: RawRequest, port: number): RawRequest => ({ ...r, headers: { ...r.headers, host: `127.0.0.1:${port}` } });
  await handlerNotCalled(async () => assertRawError(await send(edge.port, asProxied(captured, edge.port)), 400, 'SignatureDoesNotMatch'));
  const proxied = await startEdge({ publicHost: signedHost });
  try {
    const res = await send(proxied.port, asProxied(captured, proxied.port));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(proxied.calls.length, 1);
  } finally {
    await proxied.close();
  }
});

test('v3: SignedHeaders must cover host, date, nonce, body hash, action and version', async () => {
  const captured = await capture('v3', 'GetProject', { query: { ProjectId: '3' } });
  const auth = captured.headers.Authorization as string;
  const weakened = auth.replace('x-acs-signature-nonce;', '');
  assert.notEqual(weakened, auth);
  await handlerNotCalled(async () => {
    assertRawError(await send(edge.port, { ...captured, headers: { ...captured.headers, Authorization: weakened } }), 400, 'IncompleteSignature', /x-acs-signature-nonce/);
    assertRawError(await send(edge.port, { ...captured, headers: { ...captured.headers, Authorization: auth.replace('ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3') } }), 400, 'IncompleteSignature');
  });
});

test('unsigned, malformed and oversized requests get JSON 4xx answers, never HTML or 500', async () => {
  await handlerNotCalled(async () => {
    const get = (path: string, method = 'GET', headers: Record<string, string> = {}, body = '') =>
      send(edge.port, { method, path, headers: { host: `127.0.0.1:${edge.port}`, ...headers }, body: Buffer.from(body) });
    assertRawError(await get('/?Action=GetProject&Version=2020-05-18&ProjectId=1'), 400, 'MissingParameter', /Signature/);
    assertRawError(await get('/?ProjectId=%E4%B8&Action=GetProject'), 400, 'Param.Invalid', /malformed percent-encoding/);
    assertRawError(await get('/?ProjectId=%zz'), 400, 'Param.Invalid', /malformed percent-encoding/);
    assertRawError(await get('/?ProjectId=1&ProjectId=2'), 400, 'Param.Invalid', /^ProjectId appears more than once/);
    assertRawError(await get('/index.html'), 404, 'InvalidAction.NotFound');
    const del = await get('/', 'DELETE');
    assertRawError(del, 405, 'UnsupportedHTTPMethod');
    assert.match(String(del.headers.allow), /POST/);
    // V2 parses the form body to check the signature: a malformed body is a 400, not a crash.
    const v2 = `/?Action=GetProject&Version=2020-05-18&AccessKeyId=${AK}&SignatureNonce=n-${Date.now()}` +
      `&Timestamp=${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&Signature=x`;
    assertRawError(await get(v2, 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, 'ProjectId=%E4'), 400, 'Param.Invalid', /malformed/);
    assertRawError(await get(v2, 'POST', { 'content-type': 'application/json' }, '{"ProjectId":1}'), 415, 'UnsupportedMediaType');
    assertRawError(await get(v2.replace(/Timestamp=[^&]+/, 'Timestamp=yesterday'), 'POST'), 400, 'InvalidTimeStamp.Format');
    // Declared too large: answered before the body is read.
    const big = await get('/', 'POST', { 'content-length': String(8 * 1024 * 1024 + 1) });
    assertRawError(big, 413, 'ContentLengthExceeded');
  });
});

test('a request Node cannot parse as HTTP is answered in the same JSON error shape', async () => {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(edge.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    let data = '';
    socket.on('data', (d) => { data += d; });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  const [head, body] = text.split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.1 400 /);
  const json = JSON.parse(body);
  assert.equal(json.Code, 'InvalidHttpRequest');
  assert.deepEqual(Object.keys(json).sort(), ERROR_KEYS);
  assert.match(head, new RegExp(`x-acs-request-id: ${json.RequestId}`));
});

test('a streamed body over 8 MiB from an authenticated V3 caller is 413 ContentLengthExceeded', async () => {
  // V3 authenticates from its headers: the signed hash is of another body, which the cap cuts off first.
  const signed = await capture('v3', 'GetProject', { body: { ProjectId: '1' } });
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => !['content-length', 'transfer-encoding'].includes(k.toLowerCase())));
  const res = await new Promise<RawResponse>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: edge.port, method: signed.method, path: signed.path, agent: false, setHost: false, headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, json: JSON.parse(Buffer.concat(chunks).toString()) }));
      r.on('error', reject);
    });
    req.on('error', () => { /* the server closes the connection while we still write: expected */ });
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < 9) { sent++; if (!req.write(chunk)) { req.once('drain', pump); return; } }
      req.end();
    };
    pump();
  });
  assertRawError(res, 413, 'ContentLengthExceeded');
});

test('request log lines name action, status and code, and never hold the secret or a signature', async () => {
  const captured = await capture('v3', 'GetProject', { query: { ProjectId: '8' } });
  assert.equal((await send(edge.port, captured)).status, 200);
  const signature = /Signature=([0-9a-f]+)/.exec(captured.headers.Authorization as string)![1];
  const lines = edge.logs.filter((l) => JSON.parse(l).msg === 'request').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.action === 'GetProject' && l.status === 200 && typeof l.ms === 'number'));
  assert.ok(lines.some((l) => l.code === 'SignatureDoesNotMatch' && l.status === 400));
  const all = edge.logs.join('\n');
  assert.ok(!all.includes(SECRET), 'no secret in logs');
  assert.ok(!all.includes(signature), 'no signature in logs');
});

test('an idle keep-alive connection stays open past Node\'s 5 s default, so SDK clients reusing it never hit "socket hang up"', async () => {
  const edge = await startEdge();
  try {
    const socket = net.connect(edge.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let closedAt: number | null = null;
    const opened = Date.now();
    socket.on('close', () => { closedAt = Date.now(); });
    socket.on('data', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    // Node closes idle connections at its timeout plus up to one check interval (about 6 s for 5 s).
    await new Promise((r) => setTimeout(r, 7_500));
    assert.equal(closedAt, null, `the server closed the idle connection after ${closedAt! - opened} ms`);
    socket.destroy();
  } finally {
    await edge.close();
  }
});
