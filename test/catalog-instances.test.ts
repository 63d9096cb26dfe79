/** Instance ids (each Start is an instance): global, increasing, never reused across reopenings of the catalog (both adapters). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { CATALOG_KINDS, stopCatalogServers } from './harness/catalogs.ts';

after(stopCatalogServers);

for (const { kind, fresh } of CATALOG_KINDS) {
  test(`${kind}: instance ids grow across catalog reopenings and are never handed out twice`, async () => {
    const where = await fresh();
    let store = await where.open();
    const first = [await store.nextInstanceId(), await store.nextInstanceId()];
    await store.close();
    store = await where.open();
    const after = await store.nextInstanceId();
    assert.equal(store.createdNow, false);
    await store.close();
    assert.deepEqual(first, [1, 2]);
    assert.equal(after, 3);
  });
}
