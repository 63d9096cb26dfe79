/**
 * Data source Content rules as pure functions (issue 8 items 10 and 12): secrets shown as "***"
 * at any depth and in the jdbcUrl, "***" kept on update, a moved data source needs its password,
 * TLS settings from the jdbcUrl, control characters refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isContentProblem, mergeUpdatedContent, redactContent, validateContent, endpointOf } from '../src/domain/data-source-content.ts';
import { isSecretKey } from '../src/domain/content-secrets.ts';
import { parseJdbcUrl } from '../src/domain/jdbc-url.ts';
import { tlsSettingsOf } from '../src/domain/jdbc-tls.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0FDRVJUSUZJQ0FURUZPUlRFU1RT\n-----END CERTIFICATE-----\n';

test('every secret-like key, any case and depth, and password= in the jdbcUrl show as "***"', () => {
  for (const k of ['password', 'Password', 'PASSWORD', 'pwd', 'Pwd', 'passwd', 'secretKey', 'client_secret', 'accessKeySecret', 'AccessKeyId', 'token', 'private_key']) {
    assert.equal(isSecretKey(k), true, k);
  }
  for (const k of ['username', 'jdbcUrl', 'tag', 'database']) assert.equal(isSecretKey(k), false, k);
  const shown = redactContent({
    jdbcUrl: 'jdbc:postgresql://h/db?user=postgres&password=InUrlPw1&ssl=false', username: 'u', password: 'p', Password: 'CapitalPw2', pwd: 'PwdKey3',
    nested: { deeper: [{ apiSecret: 'NestedPw4' }] },
  });
  const text = JSON.stringify(shown);
  for (const secret of ['InUrlPw1', 'CapitalPw2', 'PwdKey3', 'NestedPw4', '"p"']) assert.ok(!text.includes(secret), secret);
  assert.equal(shown.jdbcUrl, 'jdbc:postgresql://h/db?user=postgres&password=***&ssl=false');
  assert.equal(shown.Password, '***');
});

test('an update that sends "***" back keeps every stored secret; an absent password keeps it while nothing moves', () => {
  const stored = { jdbcUrl: 'jdbc:postgresql://h:5432/db?password=UrlPw', username: 'u', password: 'StoredPw', extraSecret: 'ExtraPw' };
  const back = redactContent(stored);
  const merged = mergeUpdatedContent('postgresql', back, stored);
  assert.ok(!isContentProblem(merged));
  assert.equal(merged.password, 'StoredPw');
  assert.equal(merged.extraSecret, 'ExtraPw');
  assert.equal(merged.jdbcUrl, 'jdbc:postgresql://h:5432/db?password=UrlPw');
  const { password: _omit, ...withoutPassword } = back;
  assert.equal((mergeUpdatedContent('postgresql', { ...withoutPassword, tag: 'x' }, stored) as { password: string }).password, 'StoredPw');
});

test('moving a data source (host, port, database, user, TLS) without its password is refused, naming Content.password', () => {
  const stored = { jdbcUrl: 'jdbc:postgresql://h:5432/db', username: 'u', password: 'StoredPw' };
  const moves = [
    { jdbcUrl: 'jdbc:postgresql://evil.example:5432/db', username: 'u' },
    { jdbcUrl: 'jdbc:postgresql://h:6543/db', username: 'u' },
    { jdbcUrl: 'jdbc:postgresql://h:5432/other', username: 'u' },
    { jdbcUrl: 'jdbc:postgresql://h:5432/db', username: 'other' },
    { jdbcUrl: 'jdbc:postgresql://h:5432/db', username: 'u', password: '***', caCertificate: CA },
  ];
  for (const move of moves) {
    const r = mergeUpdatedContent('postgresql', move, stored);
    assert.ok(isContentProblem(r), JSON.stringify(move));
    assert.equal(r.field, 'password');
    assert.match(r.reason, /given again/);
  }
  const withPassword = mergeUpdatedContent('postgresql', { ...moves[0], password: 'NewPw' }, stored);
  assert.equal((withPassword as { password: string }).password, 'NewPw');
});

test('TLS settings come from sslmode / sslMode / useSSL and a PEM CA; file paths and silent fallbacks are refused', () => {
  const pg = (q: string, ca?: string) => tlsSettingsOf('postgresql', (parseJdbcUrl(`jdbc:postgresql://h/db${q}`) as { params: Record<string, string> }).params, ca);
  const my = (q: string, ca?: string) => tlsSettingsOf('mysql', (parseJdbcUrl(`jdbc:mysql://h/db${q}`) as { params: Record<string, string> }).params, ca);
  assert.equal(pg(''), undefined);
  assert.equal(pg('?sslmode=disable'), undefined);
  assert.deepEqual(pg('?sslmode=require'), { mode: 'require' });
  assert.deepEqual(pg('?sslmode=verify-ca', CA), { mode: 'verify-ca', ca: CA });
  assert.deepEqual(pg('?sslmode=verify-full'), { mode: 'verify-full' });
  assert.deepEqual(pg('?ssl=true'), { mode: 'verify-full' });
  assert.deepEqual(pg('', CA), { mode: 'verify-full', ca: CA });
  assert.equal(my('?useSSL=false'), undefined);
  assert.deepEqual(my('?useSSL=true'), { mode: 'require' });
  assert.deepEqual(my('?useSSL=true&verifyServerCertificate=true'), { mode: 'verify-ca' });
  assert.deepEqual(my('?sslMode=REQUIRED'), { mode: 'require' });
  assert.deepEqual(my('?sslMode=VERIFY_CA'), { mode: 'verify-ca' });
  assert.deepEqual(my('?sslMode=VERIFY_IDENTITY'), { mode: 'verify-full' });
  assert.deepEqual(my('?sslmode=verify-full'), { mode: 'verify-full' });
  for (const bad of [pg('?sslmode=prefer'), pg('?sslmode=bogus'), pg('?sslrootcert=/etc/passwd'), my('?sslMode=PREFERRED'), my('?serverSslCert=/x'), pg('?sslmode=disable', CA), pg('', 'not a pem')]) {
    assert.ok(isContentProblem(bad), JSON.stringify(bad));
  }
  const e = endpointOf({ jdbcUrl: 'jdbc:mysql://h/db?sslMode=VERIFY_IDENTITY', username: 'u', password: 'p', caCertificate: CA });
  assert.deepEqual(e.tls, { mode: 'verify-full', ca: CA });
});

test('NUL and control characters in the jdbcUrl parts and the username are refused, naming the field', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ jdbcUrl: 'jdbc:postgresql://h/postgres%00options%00-c%20log_statement%3Dall', username: 'u' }, 'jdbcUrl'],
    [{ jdbcUrl: 'jdbc:postgresql://h/db%0A', username: 'u' }, 'jdbcUrl'],
    [{ jdbcUrl: 'jdbc:postgresql://h/db?application_name=a%00b', username: 'u' }, 'jdbcUrl'],
    [{ jdbcUrl: 'jdbc:postgresql://h/db', username: 'u\u0000options' }, 'username'],
    [{ jdbcUrl: 'jdbc:postgresql://h/db', username: 'u\u0007' }, 'username'],
  ];
  for (const [content, field] of cases) {
    const r = validateContent('postgresql', content);
    assert.ok(isContentProblem(r), JSON.stringify(content));
    assert.equal(r.field, field);
  }
});
