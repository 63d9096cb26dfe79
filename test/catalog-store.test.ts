/**
 * The catalog store contract, run against both adapters (SQLite file, PostgreSQL catalog; issue 8
 * items 2, 8 and 10, issue 12): ids from persistent counters (never reused, first ids as before,
 * unique across two stores on one catalog), unique conflicts as UniqueViolationError naming the
 * columns, list filters bound, keys revoked, the master key checked at open, mutateTaskRuntime
 * atomic across stores. An older SQLite catalog upgraded in place (counters continue, clear
 * secrets sealed) is SQLite's own.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteCatalog, CatalogOpenError } from '../src/store/sqlite/sqlite-catalog-store.ts';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { SecretBox } from '../src/store/secret-box.ts';
import { UniqueViolationError, type CatalogStore } from '../src/store/catalog-store.ts';
import { PG_MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { CATALOG_KINDS, catalogServer, stopCatalogServers } from './harness/catalogs.ts';

after(stopCatalogServers);

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-store-')), 'catalog.sqlite');
}

async function fixtures(store: CatalogStore) {
  const owner = await store.createPrincipal(`p${Math.random()}`, false);
  const project = await store.createProject({
    identifier: `ws${Date.now()}${Math.floor(Math.random() * 1e6)}`, name: 'w', description: '', ownerPrincipalId: owner.id, tags: [],
    disableDevelopment: false, isAllowDownload: 1, projectMode: 2, resourceGroupId: '',
  });
  return { owner, project };
}

const file = (projectId: number, name: string, owner: string) => ({ projectId, name, fileType: 900, taskType: 'DI_REALTIME', folderPath: '', content: '{}', ownerPrincipalId: owner });
const source = (projectId: number, name: string, owner: string, password = 'pw') => ({
  projectId, name, dataSourceType: 'postgresql', subType: 'postgresql', envType: 1, description: '',
  content: { jdbcUrl: 'jdbc:postgresql://h/db', username: 'u', password }, status: 'ENABLED', ownerPrincipalId: owner,
});

for (const { kind, fresh } of CATALOG_KINDS) {
test(`${kind}: ids come from per-kind counters: first ids as before, and a deleted id is never handed out again`, async () => {
  const store = await (await fresh()).open();
  const { owner, project } = await fixtures(store);
  assert.equal(project.id, 10000);
  const f1 = await store.createTaskFile(file(project.id, 'a', owner.id));
  assert.equal(f1.id, 100000);
  await store.deleteTaskFile(f1.id);
  const f2 = await store.createTaskFile(file(project.id, 'a', owner.id));
  assert.equal(f2.id, 100001, 'the deleted FileId is not reused');
  const d1 = await store.createDataSource(source(project.id, 'ds', owner.id));
  assert.equal(d1.id, 1000);
  await store.deleteDataSource(d1.id);
  assert.equal((await store.createDataSource(source(project.id, 'ds', owner.id))).id, 1001);
  const p1 = await store.createConfigProcess({ projectId: project.id, kind: 'create', taskId: null, status: 'running', message: null, taskContent: null, nodeKey: null });
  assert.equal(p1.id, 1);
  assert.equal(await store.allocateId('alarm_rules', 500), 500, 'a new kind starts at its own first id');
  assert.equal(await store.allocateId('alarm_rules', 500), 501);
  assert.equal((await fixtures(store)).project.id, 10001);
  await store.close();
});

test(`${kind}: config checks of a dead cluster node end fail; those of live nodes and of a single process stay running`, async () => {
  const store = await (await fresh()).open();
  const { project } = await fixtures(store);
  const proc = (nodeKey: string | null) => store.createConfigProcess({ projectId: project.id, kind: 'create', taskId: null, status: 'running', message: null, taskContent: null, nodeKey });
  const [dead, live, single, deadDone] = [await proc('node-dead'), await proc('node-live'), await proc(null), await proc('node-dead')];
  await store.finishConfigProcess(deadDone.id, 'success', null, '{}');
  assert.equal(await store.failConfigProcessesOfDeadNodes(['node-live', 'node-other'], 'the node stopped'), 1);
  assert.deepEqual(
    await Promise.all([dead, live, single, deadDone].map(async (p) => { const r = (await store.getConfigProcess(p.id))!; return [r.status, r.message, r.nodeKey]; })),
    [['fail', 'the node stopped', 'node-dead'], ['running', null, 'node-live'], ['running', null, null], ['success', null, 'node-dead']]);
  assert.equal(await store.failConfigProcessesOfDeadNodes([], 'the node stopped'), 0, 'no live node known: nothing is failed');
  // The dead node's worker was only frozen: it finishes later, and the process stays failed.
  await store.finishConfigProcess(dead.id, 'success', null, '{}');
  assert.equal((await store.getConfigProcess(dead.id))!.status, 'fail');
  assert.equal((await store.getConfigProcess(live.id))!.status, 'running');
  await store.close();
});

test(`${kind}: a unique conflict is UniqueViolationError naming the constraint; list filters take any number of ids as one bound value`, async () => {
  const store = await (await fresh()).open();
  const { owner, project } = await fixtures(store);
  const dev = await store.createDataSource({ ...source(project.id, 'envx', owner.id), envType: 0 });
  await store.createDataSource(source(project.id, 'envx', owner.id));
  await assert.rejects(store.updateDataSource(dev.id, { envType: 1 }), (e: unknown) => e instanceof UniqueViolationError && e.constraint === 'data_sources.project_id, data_sources.name, data_sources.env_type');
  await assert.rejects(store.createDataSource(source(project.id, 'envx', owner.id)), UniqueViolationError);
  assert.equal((await store.createDataSource(source(project.id, 'envy', owner.id))).id, 1002, 'the failed create used no id');
  const files = [];
  for (let i = 0; i < 5; i++) files.push(await store.createTaskFile(file(project.id, `f${i}`, owner.id)));
  const ids = [...Array.from({ length: 40_000 }, (_, i) => 900_000_000 + i), files[1].id, files[3].id];
  const page = await store.listTaskFiles(project.id, { fileIds: ids, fileTypes: [900, 23] }, 0, 100);
  assert.deepEqual(page.items.map((f) => f.id), [files[1].id, files[3].id]);
  assert.equal((await store.listTaskFiles(project.id, { fileIds: [] }, 0, 100)).total, 0);
  assert.deepEqual((await store.listTaskFiles(project.id, { keyword: 'F1' }, 0, 100)).items.map((f) => f.name), ['f1'], 'keyword matches case-insensitively');
  assert.equal((await store.listTaskFiles(project.id, { keyword: '%' }, 0, 100)).total, 0, 'LIKE wildcards in a keyword are literal');
  await store.close();
});

test(`${kind}: revoked keys and disabled principals are not found; key listings never hold secrets`, async () => {
  const store = await (await fresh()).open();
  const p = await store.createPrincipal('carol', false);
  await store.putAccessKey({ accessKeyId: 'ODAKK1', secret: 'secret-one-0123456789', principalId: p.id, origin: 'issued' });
  await store.putAccessKey({ accessKeyId: 'ODAKK2', secret: 'secret-two-0123456789', principalId: p.id, origin: 'issued' });
  assert.equal((await store.findAccessKey('ODAKK1'))?.secret, 'secret-one-0123456789');
  assert.equal(await store.revokeAccessKey('ODAKK1'), true);
  assert.equal(await store.revokeAccessKey('ODAKK1'), false);
  assert.equal(await store.findAccessKey('ODAKK1'), undefined);
  await store.putAccessKey({ accessKeyId: 'ODAKK1', secret: 'secret-one-0123456789', principalId: p.id });
  assert.equal(await store.findAccessKey('ODAKK1'), undefined, 'a revoked key stays revoked');
  await store.updatePrincipal(p.id, { disabled: true });
  assert.equal(await store.findAccessKey('ODAKK2'), undefined);
  await store.updatePrincipal(p.id, { disabled: false });
  assert.ok(await store.findAccessKey('ODAKK2'));
  const listed = await store.listAccessKeys(p.id);
  assert.deepEqual(listed.map((k) => [k.accessKeyId, k.revokedAt !== null]), [['ODAKK1', true], ['ODAKK2', false]]);
  assert.ok(!JSON.stringify(listed).includes('secret-'));
  await store.close();
});

test(`${kind}: two stores on one catalog (opened at once): ids unique, runtime read-modify-write atomic, nonces and client tokens claimed once; another master key is refused`, async () => {
  const where = await fresh();
  const [a, b] = await Promise.all([where.open(), where.open()]);
  try {
    assert.equal(a.createdNow !== b.createdNow || a.createdNow, true, 'the schema was created once');
    const { owner, project } = await fixtures(a);
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).allocateId('things', 1)));
    assert.equal(new Set(ids).size, 40);
    assert.deepEqual([...ids].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
    const instances = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).nextInstanceId()));
    assert.equal(new Set(instances).size, 20);
    const f = await a.createTaskFile(file(project.id, 'counter', owner.id));
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).mutateTaskRuntime(f.id, (r) => ({ fence: r.fence + 1 }))));
    assert.equal((await b.getTaskRuntime(f.id)).fence, 30, 'no increment lost');
    const nonces = await Promise.all([a, b, a, b].map((s) => s.claimNonce('AK', 'n1', Date.now() + 60_000, Date.now())));
    assert.equal(nonces.filter(Boolean).length, 1);
    const key = { principalId: owner.id, action: 'X', token: 't' };
    const claims = await Promise.all([a, b, a, b].map((s) => s.claimClientToken(key, 'h', Date.now(), Date.now() + 60_000)));
    assert.equal(claims.filter((c) => c.claimed).length, 1);
    const ds = await a.createDataSource(source(project.id, 'shared', owner.id, 'Shared-Secret-1'));
    assert.equal((await b.getDataSource(ds.id))?.content.password, 'Shared-Secret-1', 'the other store opens the sealed secret');
    await assert.rejects(where.open(SecretBox.ephemeral()), (e: unknown) => e instanceof CatalogOpenError && /another master key/.test((e as Error).message));
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
}

test('postgres: the schema lives in opendi_catalog, has the same migrations as SQLite, and holds no clear secret', async () => {
  assert.equal(PG_MIGRATIONS.length, SQLITE_MIGRATIONS.length, 'a version number means the same schema in both');
  assert.deepEqual(PG_MIGRATIONS.filter((m) => /sqlite_|WITHOUT ROWID|AUTOINCREMENT|OR IGNORE|OR REPLACE|strftime/i.test(m)), [], 'no SQLite-only syntax left');
  const where = await CATALOG_KINDS[1].fresh();
  const store = await where.open();
  const { owner, project } = await fixtures(store);
  await store.createDataSource(source(project.id, 'ds', owner.id, 'Clear-Password-789'));
  await store.putAccessKey({ accessKeyId: 'ODAKPG', secret: 'Clear-Secret-789-abcdef', principalId: owner.id });
  await store.close();
  const pg = await catalogServer();
  const db = new URL(where.where).pathname.slice(1);
  const versions = (await pg.query(`SELECT max(version) AS v FROM opendi_catalog.schema_migrations`, [], db)).rows[0].v;
  assert.equal(versions, PG_MIGRATIONS.length);
  const dump = JSON.stringify((await pg.query(`SELECT (SELECT json_agg(d) FROM opendi_catalog.data_sources d) AS d, (SELECT json_agg(k) FROM opendi_catalog.access_keys k) AS k`, [], db)).rows);
  assert.ok(dump.includes('"sealed":1') && !dump.includes('Clear-Password-789') && !dump.includes('Clear-Secret-789'), 'secrets are sealed at rest');
});

test('an older catalog is upgraded in place: counters continue after its ids, clear secrets get sealed', async () => {
  const f = tempFile();
  const legacy = new Database(f);
  legacy.pragma('journal_mode = WAL');
  for (const m of SQLITE_MIGRATIONS.slice(0, 2)) legacy.exec(m);
  legacy.pragma('user_version = 2');
  legacy.prepare(`INSERT INTO principals VALUES ('p1', 'bob', 0, 1)`).run();
  legacy.prepare(`INSERT INTO access_keys VALUES ('ODAKLEGACY', 'LegacySecretValue123', 'p1')`).run();
  legacy.prepare(`INSERT INTO projects VALUES (10007, 'old', 'old', '', 'p1', '[]', 0, 1, 3, '', 1, 1)`).run();
  legacy.prepare(`INSERT INTO data_sources VALUES (1003, 10007, 'ds', 'postgresql', 'postgresql', 1, '', ?, 'ENABLED', 'p1', 1, 1)`)
    .run(JSON.stringify({ jdbcUrl: 'jdbc:postgresql://h/db', username: 'u', password: 'LegacyPassword456' }));
  legacy.prepare(`INSERT INTO task_files VALUES (100004, 10007, 't', 900, 'DI_REALTIME', '', '{}', 1, NULL, NULL, 'p1', 'p1', 1, 1)`).run();
  legacy.close();

  const box = SecretBox.ephemeral();
  const store = await openSqliteCatalog(f, { secretBox: box });
  assert.equal(store.createdNow, false);
  assert.equal((await store.findAccessKey('ODAKLEGACY'))?.secret, 'LegacySecretValue123');
  assert.equal((await store.getDataSource(1003))?.content.password, 'LegacyPassword456');
  assert.equal((await store.createTaskFile(file(10007, 'u', 'p1'))).id, 100005);
  assert.equal((await store.createDataSource(source(10007, 'ds2', 'p1'))).id, 1004);
  await store.close();
  const bytes = Buffer.concat(['', '-wal'].filter((s) => fs.existsSync(f + s)).map((s) => fs.readFileSync(f + s)));
  assert.ok(!bytes.includes('LegacyPassword456') && !bytes.includes('LegacySecretValue123'), 'no clear secret left in the catalog files');
  assert.equal(fs.statSync(f).mode & 0o777, 0o600);

  await assert.rejects(openSqliteCatalog(f, { secretBox: SecretBox.ephemeral() }), (e: unknown) => e instanceof CatalogOpenError && /another master key/.test((e as Error).message));
  const again = await openSqliteCatalog(f, { secretBox: box });
  assert.equal((await again.getDataSource(1003))?.content.password, 'LegacyPassword456');
  await again.close();
});
