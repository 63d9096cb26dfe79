/**
 * The HTTP edge under hostile clients (issue 8 item 8; security review MEDIUM-2, MEDIUM-6,
 * LOW-1, LOW-2): V3 authenticated from its headers before any body byte is read, V2 bodies
 * refused for unknown keys and bounded together, request/header timeouts and a connection cap
 * (in-process edge with small limits); then, through @alicloud/openapi-core against the service,
 * bounded text fields, deep JSON and deep flattened names as 400s, ListFiles lists checked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import OpenApiModule, { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import { createApiServer } from '../src/protocol/api-server.ts';
import { createActionRegistry } from '../src/protocol/action-registry.ts';
import { createLogger } from '../src/logger.ts';
import { OpenDIService } from './harness/opendi-service.ts';
import { call, createWorkspace, expectApiError, realtimeScript } from './harness/realtime-scenario.ts';

const AK = 'ODAKLIMITS0001';
const SECRET = 'limits-secret-0123456789abcdef';

interface RawAnswer { status: number; body: string; closed: boolean }

/** Sends a request head (and maybe part of a body) and waits up to `waitMs` for an answer or a close. */
function rawRequest(port: number, head: string, body = '', waitMs = 5000): Promise<RawAnswer & { socket: net.Socket }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head + body));
    let data = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0, body: data.split('\r\n\r\n')[1] ?? '', closed, socket });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', (d) => { data += d; if (/\r\n\r\n[\s\S]*\}$/.test(data)) done(false); });
    socket.on('close', () => done(true));
    socket.on('error', () => undefined);
  });
}

function stamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let edge: { port: number; close(): Promise<void> };
before(async () => {
  const registry = createActionRegistry();
  registry.register('2020-05-18', 'GetProject', async () => ({ Success: true }));
  const server = createApiServer({
    registry, logger: createLogger('silent'),
    credentials: { findAccessKey: async (id) => (id === AK ? { secret: SECRET, principalId: 'p' } : undefined) },
    nonces: { claim: async () => true },
    limits: { maxConnections: 6, requestTimeoutMs: 1500, headersTimeoutMs: 1000, preAuthBodyBudget: 1024 * 1024 },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  edge = {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
});
after(async () => { await edge.close(); });

test('V3: a request whose signature does not verify is answered before its body is read', async () => {
  const headers = [
    `POST /?ProjectId=1 HTTP/1.1`, `host: 127.0.0.1:${edge.port}`, `content-type: application/x-www-form-urlencoded`, `content-length: ${4 * 1024 * 1024}`,
    `x-acs-action: GetProject`, `x-acs-version: 2020-05-18`, `x-acs-date: ${stamp()}`, `x-acs-signature-nonce: n${Date.now()}`,
    `x-acs-content-sha256: ${'0'.repeat(64)}`,
    `authorization: ACS3-HMAC-SHA256 Credential=${AK},SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=${'0'.repeat(64)}`,
  ];
  const answer = await rawRequest(edge.port, headers.join('\r\n') + '\r\n\r\n', '', 1200);
  answer.socket.destroy();
  assert.equal(answer.status, 400, 'answered without waiting for the 4 MiB body');
  assert.equal(JSON.parse(answer.body).Code, 'SignatureDoesNotMatch');
});

test('V2: an unknown AccessKeyId is answered before the body is read', async () => {
  const q = `Action=GetProject&Version=2020-05-18&AccessKeyId=ODAKUNKNOWN&SignatureNonce=n${Date.now()}&Timestamp=${encodeURIComponent(stamp())}&Signature=x`;
  const head = `POST /?${q} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${4 * 1024 * 1024}\r\n\r\n`;
  const answer = await rawRequest(edge.port, head, '', 1200);
  answer.socket.destroy();
  assert.equal(answer.status, 404);
  assert.equal(JSON.parse(answer.body).Code, 'InvalidAccessKeyId.NotFound');
});

test('V2 bodies waiting for their signature are bounded together: past the budget, 503', async () => {
  const head = (n: string) => `POST /?Action=GetProject&Version=2020-05-18&AccessKeyId=${AK}&SignatureNonce=${n}&Timestamp=${encodeURIComponent(stamp())}&Signature=x HTTP/1.1\r\n` +
    `host: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${900 * 1024}\r\n\r\n`;
  const holder = net.connect(edge.port, '127.0.0.1');
  await new Promise<void>((resolve) => holder.on('connect', resolve));
  holder.on('error', () => undefined);
  holder.write(head('hold') + 'a='.padEnd(800 * 1024, 'x'));
  await new Promise((r) => setTimeout(r, 200));
  const second = await rawRequest(edge.port, head('second'), 'a='.padEnd(300 * 1024, 'y'), 1200);
  second.socket.destroy();
  holder.destroy();
  assert.equal(second.status, 503);
  assert.equal(JSON.parse(second.body).Code, 'ServiceUnavailable');
});

test('a body that trickles in is cut by the request timeout (408), slow headers by the headers timeout', async () => {
  const q = `Action=GetProject&Version=2020-05-18&AccessKeyId=${AK}&SignatureNonce=t${Date.now()}&Timestamp=${encodeURIComponent(stamp())}&Signature=x`;
  const started = Date.now();
  const trickle = await rawRequest(edge.port, `POST /?${q} HTTP/1.1\r\nhost: h\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 1000\r\n\r\n`, 'a=', 8000);
  trickle.socket.destroy();
  assert.equal(trickle.status, 408);
  assert.ok(Date.now() - started < 7000);
  const slowHead = await rawRequest(edge.port, `GET / HTTP/1.1\r\nhost: h\r\n`, '', 8000);
  slowHead.socket.destroy();
  assert.equal(slowHead.status, 408);
});

test('connections past the cap are refused at once', async () => {
  const open: net.Socket[] = [];
  for (let i = 0; i < 6; i++) {
    const s = net.connect(edge.port, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => s.on('connect', resolve));
    open.push(s);
  }
  await new Promise((r) => setTimeout(r, 100));
  const extra = net.connect(edge.port, '127.0.0.1');
  extra.on('error', () => undefined);
  const closed = await new Promise<boolean>((resolve) => {
    extra.on('close', () => resolve(true));
    setTimeout(() => resolve(false), 2000);
  });
  for (const s of [...open, extra]) s.destroy();
  assert.equal(closed, true, 'the seventh connection was closed by the server');
});

// ---- bounds on what parameters carry, against the service

let svc: OpenDIService;
let projectId: number;
before(async () => {
  svc = await OpenDIService.start();
  projectId = await createWorkspace(svc.client(), 'ws_limits');
});
after(async () => { await svc.destroy(); });

const OpenApiClient = OpenApiModule.default;

/** A call with parameters placed explicitly in the form body (any name, like other HTTP clients send). */
async function callWithBody(action: string, query: Record<string, string>, body: Record<string, string>) {
  const client = new OpenApiClient(new $OpenApiUtil.Config({ accessKeyId: svc.accessKeyId, accessKeySecret: svc.accessKeySecret, endpoint: svc.endpoint, protocol: 'http', readTimeout: 30_000 }));
  const params = new $OpenApiUtil.Params({ action, version: '2020-05-18', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
  return client.callApi(params, new $OpenApiUtil.OpenApiRequest({ query, body }), new $dara.RuntimeOptions({ autoretry: false, maxAttempts: 0 }));
}

test('text fields are bounded: names 255, descriptions 3,000, data source Content 64 KiB, task content 1 MiB', async () => {
  const client = svc.client();
  await expectApiError(call(client, 'CreateProject', { ProjectName: 'n', ProjectIdentifier: 'ws_desc', ProjectDescription: 'd'.repeat(3001) }), 400, 'Param.Invalid', 'ProjectDescription must be at most 3000');
  await expectApiError(call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: 't'.repeat(256), TaskContent: realtimeScript('a', 'b', ['t']) }), 400, 'Param.Invalid', 'TaskName must be at most 255');
  const bigContent = JSON.stringify({ jdbcUrl: 'jdbc:postgresql://h/db', username: 'u', password: 'x', filler: 'f'.repeat(64 * 1024) });
  // Values this large cannot travel in a query string (431); other clients send them in the form body.
  await expectApiError(callWithBody('CreateDataSource', { ProjectId: String(projectId), Name: 'big', DataSourceType: 'postgresql', EnvType: '1' }, { Content: bigContent }), 400, 'Param.Invalid', '^Content must be at most');
  const bigScript = JSON.parse(realtimeScript('a', 'b', ['t']));
  bigScript.setting.filler = 'f'.repeat(1024 * 1024);
  await expectApiError(call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: 'big', TaskContent: JSON.stringify(bigScript) }), 400, 'Param.Invalid', '^TaskContent must be at most');
  await call(client, 'CreateProject', { ProjectName: 'n', ProjectIdentifier: 'ws_desc_ok', ProjectDescription: 'line one\nline two '.repeat(100) });
});

test('a script of many tables travels in the query string as the SDK sends it (no 431 below 128 KiB of headers)', async () => {
  const tables = Array.from({ length: 1500 }, (_, i) => `public.table_with_a_long_name_${i}`);
  const script = realtimeScript('nowhere_src', 'nowhere_dst', tables);
  assert.ok(script.length > 50_000, `script of ${script.length} bytes`);
  const body = await call(svc.client(), 'GenerateDISyncTaskConfigForCreating', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: script });
  assert.equal(body.Success, true);
});

test('names refuse control and bidirectional-override characters (S47)', async () => {
  const client = svc.client();
  for (const name of ['bad\u0000name', 'bad\u0007name', 'evil\u202Etxt.exe']) {
    await expectApiError(call(client, 'CreateProject', { ProjectName: name, ProjectIdentifier: 'ws_ctrl' }), 400, 'Param.Invalid', '^ProjectName must not contain control');
  }
  await expectApiError(call(client, 'CreateProject', { ProjectName: 'ok', ProjectIdentifier: 'ws_ctrl', ProjectDescription: 'a\u0000b' }), 400, 'Param.Invalid', '^ProjectDescription');
});

test('100,000 levels of JSON nesting is a 400 naming the parameter, never a 500', async () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const client = svc.client();
  const p = String(projectId);
  const cases: [string, Record<string, string>, Record<string, string>, string][] = [
    ['GenerateDISyncTaskConfigForCreating', { ProjectId: p, TaskType: 'DI_REALTIME' }, { TaskParam: `{"a":${deep}}` }, 'TaskParam'],
    ['CreateDISyncTask', { ProjectId: p, TaskType: 'DI_REALTIME', TaskName: 'deep' }, { TaskContent: `{"setting":${deep}}` }, 'TaskContent'],
    ['CreateDataSource', { ProjectId: p, Name: 'deep', DataSourceType: 'postgresql', EnvType: '1' }, { Content: `{"jdbcUrl":"jdbc:postgresql://h/db","username":"u","x":${'['.repeat(30_000)}${']'.repeat(30_000)}}` }, 'Content'],
  ];
  for (const [action, query, body, name] of cases) await expectApiError(callWithBody(action, query, body), 400, 'Param.Invalid', `^${name} is JSON nested deeper`);
  await expectApiError(call(client, 'StartDISyncInstance', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: 1, StartParam: `{"a":${'['.repeat(65)}${']'.repeat(65)}}` }), 400, 'Param.Invalid', '^StartParam is JSON nested');
  await assert.rejects(callWithBody('ListProjects', {}, { [`Tags${'.1'.repeat(100_000)}`]: 'x' }), (e: any) => {
    assert.equal(e.statusCode, 400);
    assert.match(e.data.Message, /^Tags is flattened deeper than/);
    return true;
  });
});

test('ListFiles FileIdIn / FileTypes accept integers only (LOW-2); 40,000 ids are fine', async () => {
  const client = svc.client();
  await expectApiError(call(client, 'ListFiles', { ProjectId: projectId, FileTypes: `23,${'9'.repeat(400)}` }), 400, 'Param.Invalid', '^FileTypes');
  await expectApiError(call(client, 'ListFiles', { ProjectId: projectId, FileIdIn: '1,100000000000000000000000' }), 400, 'Param.Invalid', '^FileIdIn');
  const ids = Array.from({ length: 40_000 }, (_, i) => 200_000 + i).join(',');
  const listed = await callWithBody('ListFiles', { ProjectId: String(projectId) }, { FileIdIn: ids });
  assert.equal((listed as any).body.Data.TotalCount, 0);
});
