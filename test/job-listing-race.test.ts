/**
 * ListDIJobs' refresh of the listing rows (sql-job-listings.ts putJobListings) on the PostgreSQL
 * catalog racing a task deletion: the file is deleted by another session between the batch's
 * read of it and the check of the listing row's reference (23503). The batch is tried again and
 * skips the deleted file; the listing shows the rest.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { refreshJobListings } from '../src/actions/jobs/job-listing.ts';
import { REALTIME_FILE_TYPE } from '../src/domain/task-status.ts';
import { realtimeScript } from './harness/realtime-scenario.ts';
import { CATALOG_KINDS, stopCatalogServers } from './harness/catalogs.ts';

after(stopCatalogServers);

test('postgres: a listing refresh racing a task deletion retries its batch and lists the remaining tasks', { timeout: 60_000 }, async () => {
  const location = await CATALOG_KINDS.find((k) => k.kind === 'postgres')!.fresh();
  const store = await location.open();
  const deleter = new pg.Client({ connectionString: location.where, application_name: 'race-deleter', options: '-c search_path=opendi_catalog' });
  await deleter.connect();
  try {
    const owner = await store.createPrincipal('o', true);
    const project = await store.createProject({ identifier: 'race', name: 'race', description: '', ownerPrincipalId: owner.id, tags: [], disableDevelopment: false, isAllowDownload: 1, projectMode: 2, resourceGroupId: '' });
    const [gone, kept] = await Promise.all(['task_gone', 'task_kept'].map((name) => store.createTaskFile({
      projectId: project.id, name, fileType: REALTIME_FILE_TYPE, taskType: 'DI_REALTIME', folderPath: '/rt', content: realtimeScript('src', 'dst', ['public.t']), ownerPrincipalId: owner.id,
    })));

    // The deletion is under way (row locked, not committed) when the refresh writes the file's listing row.
    await deleter.query('BEGIN');
    await deleter.query('DELETE FROM task_files WHERE id = $1', [gone.id]);
    const refreshed = refreshJobListings(store, project.id, REALTIME_FILE_TYPE);
    for (let i = 0; ; i++) {
      // The listing row's reference check waits for the deleting transaction (its query text may not show yet).
      const waiting = await deleter.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`);
      if (waiting.rowCount === 1) break;
      assert.ok(i < 200, 'the refresh waits for the deletion');
      await new Promise((r) => setTimeout(r, 25));
    }
    await deleter.query('COMMIT');
    await refreshed;

    const page = await store.listJobListings(project.id, REALTIME_FILE_TYPE, {}, 0, 10);
    assert.deepEqual({ total: page.total, ids: page.items.map((j) => j.file.id) }, { total: 1, ids: [kept.id] });
    assert.equal((await store.staleJobListings(project.id, REALTIME_FILE_TYPE, 10)).length, 0);
  } finally {
    await deleter.end().catch(() => undefined);
    await store.close();
  }
});
