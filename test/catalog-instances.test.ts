/** Instance ids (each Start is an instance): global, increasing, never reused across restarts of the catalog. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteCatalog } from '../src/store/sqlite/sqlite-catalog-store.ts';

test('instance ids grow across catalog reopenings and are never handed out twice', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-instances-'));
  try {
    const file = path.join(dir, 'catalog.sqlite');
    let store = await openSqliteCatalog(file);
    const first = [await store.nextInstanceId(), await store.nextInstanceId()];
    await store.close();
    store = await openSqliteCatalog(file);
    const after = await store.nextInstanceId();
    await store.close();
    assert.deepEqual(first, [1, 2]);
    assert.equal(after, 3);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
