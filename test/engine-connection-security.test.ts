/**
 * Every engine connection honours DbEndpoint.tls and never reveals a password over a plain
 * connection unless allowed (src/engine/postgres/connection.ts, src/engine/mysql/connection.ts):
 * a real TLS-enabled private PostgreSQL and MariaDB with certificates made here by openssl (sink,
 * replication connection, certificate checks), a real PostgreSQL that asks for a cleartext
 * password, and fake servers that ask for the password in revealing ways and record what the
 * client sends.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { startPostgres, type PgInstance } from './harness/postgres.ts';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { chownTo } from './harness/private-server.ts';
import { makeTlsFiles, type TlsFiles } from './harness/tls-certs.ts';
import { fakeMySql, fakePostgres } from './harness/fake-auth-servers.ts';
import { createLogger } from '../src/logger.ts';
import { connectPg } from '../src/engine/postgres/connection.ts';
import { connectMySql } from '../src/engine/mysql/connection.ts';
import { openSink } from '../src/engine/ports.ts';
import type { DbEndpoint, EndpointTls } from '../src/engine/endpoint.ts';
import { UnrecoverableError } from '../src/engine/errors.ts';

const logger = createLogger('silent');
const noError = () => undefined;
const PASSWORD = 'very-secret-pw-4711';

/** MySQL packets (3-byte length, sequence id, payload) in what a client sent. */
function packetsIn(buf: Buffer): number {
  let n = 0;
  for (let at = 0; at + 4 <= buf.length; n++) at += 4 + buf.readUIntLE(at, 3);
  return n;
}

describe('PostgreSQL', () => {
  let pgi: PgInstance;
  let certs: TlsFiles;
  let wrongCa: TlsFiles;
  before(async () => {
    certs = makeTlsFiles(['IP:127.0.0.1'], 'postgres');
    wrongCa = makeTlsFiles(['IP:127.0.0.1']);
    // pwuser authenticates with `password`: the server asks for it in clear text.
    const hba = path.join(certs.dir, 'pg_hba.conf');
    fs.writeFileSync(hba, 'local all all trust\nhost all pwuser 127.0.0.1/32 password\nhost all all 127.0.0.1/32 trust\n');
    chownTo('postgres', certs.dir);
    pgi = await startPostgres({ settings: { ssl: 'on', ssl_cert_file: certs.certFile, ssl_key_file: certs.keyFile, hba_file: hba } });
    await pgi.query(`CREATE ROLE pwuser LOGIN PASSWORD '${PASSWORD}'`);
  });
  after(async () => {
    await pgi?.destroy();
    for (const d of [certs, wrongCa]) if (d) fs.rmSync(d.dir, { recursive: true, force: true });
  });

  const endpoint = (tls?: EndpointTls, extra: Partial<DbEndpoint> = {}): DbEndpoint => ({ host: pgi.host, port: pgi.port, database: 'postgres', user: 'postgres', tls, ...extra });
  const usesTls = async (c: pg.Client) => (await c.query(`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)).rows[0].ssl as boolean;

  test('require, verify-ca and verify-full connect encrypted; a wrong CA and a wrong host name are refused', async () => {
    for (const tls of [{ mode: 'require' }, { mode: 'verify-ca', ca: certs.ca }, { mode: 'verify-full', ca: certs.ca }] as EndpointTls[]) {
      const c = await connectPg(endpoint(tls), 'opendi-tls-test', noError);
      assert.equal(await usesTls(c), true, tls.mode);
      await c.end();
    }
    const plain = await connectPg(endpoint(), 'opendi-tls-test', noError);
    assert.equal(await usesTls(plain), false);
    await plain.end();
    await assert.rejects(connectPg(endpoint({ mode: 'verify-ca', ca: wrongCa.ca }), 'x', noError), /certificate/);
    await assert.rejects(connectPg(endpoint({ mode: 'verify-ca' }), 'x', noError), /self.signed|certificate/, 'no CA given: the system roots do not know it');
    // The certificate names 127.0.0.1, not localhost: the chain is fine, the identity is not.
    const c = await connectPg(endpoint({ mode: 'verify-ca', ca: certs.ca }, { host: 'localhost' }), 'x', noError);
    await c.end();
    await assert.rejects(connectPg(endpoint({ mode: 'verify-full', ca: certs.ca }, { host: 'localhost' }), 'x', noError), /localhost/);
  });

  test('the sink and a replication connection run over TLS', async () => {
    await pgi.createDatabase('tls_dst');
    const sink = openSink(1, { kind: 'postgresql', endpoint: { ...endpoint({ mode: 'verify-full', ca: certs.ca }), database: 'tls_dst' }, schema: 'public', installationId: 'tls' }, 'opendi-tls-sink', logger);
    await sink.claim(1);
    await sink.commit('p');
    const repl = await connectPg(endpoint({ mode: 'require' }), 'opendi-tls-repl', noError, { replication: 'database' } as object);
    await repl.query('IDENTIFY_SYSTEM');
    const ssl = (await pgi.query(`SELECT a.application_name AS app, s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
      WHERE a.application_name IN ('opendi-tls-sink', 'opendi-tls-repl') ORDER BY 1`)).rows;
    assert.deepEqual(ssl, [{ app: 'opendi-tls-repl', ssl: true }, { app: 'opendi-tls-sink', ssl: true }]);
    await repl.end();
    await sink.close();
  });

  test('a password asked in clear text is refused over a plain connection; sent over TLS or when allowed', async () => {
    const pw = { user: 'pwuser', password: PASSWORD };
    await assert.rejects(connectPg(endpoint(undefined, pw), 'x', noError), (err: Error) =>
      err instanceof UnrecoverableError && /asked for the password in clear text over a connection without TLS; it was not sent/.test(err.message));
    for (const e of [endpoint({ mode: 'require' }, pw), endpoint(undefined, { ...pw, allowCleartextPassword: true })]) {
      const c = await connectPg(e, 'x', noError);
      assert.equal((await c.query(`SELECT current_user AS u`)).rows[0].u, 'pwuser');
      await c.end();
    }
    // The sink fails at once with the same message (an UnrecoverableError: no retry loop).
    const sink = openSink(2, { kind: 'postgresql', endpoint: endpoint(undefined, pw), schema: 'public', installationId: 'tls' }, 'x', logger);
    await assert.rejects(sink.claim(1), (err: Error) => err instanceof UnrecoverableError && /clear text/.test(err.message));
  });

  test('a fake server asking for a cleartext password gets nothing; one without TLS is refused when TLS is required', async () => {
    const fake = await fakePostgres();
    try {
      const e: DbEndpoint = { host: '127.0.0.1', port: fake.port, database: 'd', user: 'u', password: PASSWORD };
      await assert.rejects(connectPg(e, 'x', noError), /clear text/);
      assert.ok(fake.received().length > 0, 'the startup message arrived');
      assert.ok(!fake.received().includes(PASSWORD), 'the password was not sent');
      await assert.rejects(connectPg({ ...e, tls: { mode: 'require' } }, 'x', noError), /does not support SSL/);
      // The same server does get the password when the operator allows it: the check above can fail.
      await connectPg({ ...e, allowCleartextPassword: true }, 'x', noError).catch(() => undefined);
      assert.ok(fake.received().includes(PASSWORD));
    } finally {
      await fake.close();
    }
  });
});

describe('MySQL', () => {
  let mdb: MariaDbInstance;
  let certs: TlsFiles;
  before(async () => {
    certs = makeTlsFiles(['IP:127.0.0.1'], 'mysql');
    mdb = await startMariaDb({ settings: { 'ssl-ca': certs.caFile, 'ssl-cert': certs.certFile, 'ssl-key': certs.keyFile } });
    await mdb.createDatabase('tls_dst');
  });
  after(async () => {
    await mdb?.destroy();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  const endpoint = (tls?: EndpointTls): DbEndpoint => ({ host: mdb.host, port: mdb.port, database: 'tls_dst', user: mdb.user, password: '', tls });

  test('require, verify-ca and verify-full connect encrypted, the sink too; a wrong CA and a wrong host name are refused', async () => {
    for (const tls of [{ mode: 'require' }, { mode: 'verify-ca', ca: certs.ca }, { mode: 'verify-full', ca: certs.ca }] as EndpointTls[]) {
      const c = await connectMySql(endpoint(tls), noError);
      const [rows] = await c.query(`SHOW SESSION STATUS LIKE 'Ssl_version'`);
      assert.match((rows as { Value: string }[])[0].Value, /TLS/, tls.mode);
      await c.end();
    }
    const wrong = makeTlsFiles(['IP:127.0.0.1']);
    await assert.rejects(connectMySql(endpoint({ mode: 'verify-ca', ca: wrong.ca }), noError), /certificate/);
    // The certificate names 127.0.0.1, not localhost: the chain is fine, the identity is not.
    const byName = await connectMySql({ ...endpoint({ mode: 'verify-ca', ca: certs.ca }), host: 'localhost' }, noError);
    await byName.end();
    await assert.rejects(connectMySql({ ...endpoint({ mode: 'verify-full', ca: certs.ca }), host: 'localhost' }, noError), /localhost/);
    const sink = openSink(1, { kind: 'mysql', endpoint: endpoint({ mode: 'verify-full', ca: certs.ca }), schema: 'tls_dst', installationId: 'tls' }, 'opendi-tls-sink', logger);
    await sink.claim(1);
    await sink.commit('p');
    await sink.close();
    const refused = openSink(2, { kind: 'mysql', endpoint: endpoint({ mode: 'verify-ca', ca: wrong.ca }), schema: 'tls_dst', installationId: 'tls' }, 'x', logger);
    await assert.rejects(refused.claim(1), /certificate/, 'the sink checks the certificate too');
    fs.rmSync(wrong.dir, { recursive: true, force: true });
  });

  for (const plugin of ['mysql_clear_password', 'sha256_password', 'caching_sha2_password'] as const) {
    test(`a fake server switching to ${plugin} over a plain connection gets no password`, async () => {
      const fake = await fakeMySql(plugin);
      try {
        const e: DbEndpoint = { host: '127.0.0.1', port: fake.port, database: 'd', user: 'u', password: PASSWORD };
        await assert.rejects(connectMySql(e, noError), (err: Error) =>
          err instanceof UnrecoverableError && new RegExp(`${plugin}.* over a connection without TLS; it was not sent`).test(err.message));
        assert.ok(!fake.received().includes(PASSWORD), 'the password was not sent');
        // Nothing after the handshake response (and, for caching_sha2_password, its scramble): no key request, no password.
        assert.equal(packetsIn(fake.received()), plugin === 'caching_sha2_password' ? 2 : 1);
        if (plugin === 'mysql_clear_password') {
          await connectMySql({ ...e, allowCleartextPassword: true }, noError).catch(() => undefined);
          assert.ok(fake.received().includes(PASSWORD), 'allowed: the same server gets it, so the check above can fail');
        }
        await assert.rejects(connectMySql({ ...e, tls: { mode: 'require' } }, noError), /secure connection|SSL|TLS/i);
      } finally {
        await fake.close();
      }
    });
  }
});
