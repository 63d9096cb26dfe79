/**
 * Listings page in the store (issue 14), on both catalog adapters, with a few thousand tasks made
 * directly through the store: ListFiles (listTaskFiles), ListDataSources (listDataSources) and
 * ListDIJobs (job listing rows, refreshed only for changed tasks) give, page after page, exactly
 * the filtered rows in id order with the right totals. Correctness only; the time of one page is
 * printed, never asserted.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { refreshJobListings } from '../src/actions/jobs/job-listing.ts';
import { REALTIME_FILE_TYPE } from '../src/domain/task-status.ts';
import type { CatalogStore, Page } from '../src/store/catalog-store.ts';
import { realtimeScript } from './harness/realtime-scenario.ts';
import { CATALOG_KINDS, stopCatalogServers } from './harness/catalogs.ts';

after(stopCatalogServers);

const TASKS = 2000;

/** Every page of a listing, concatenated. */
async function allPages<T>(read: (offset: number, limit: number) => Promise<Page<T>>, pageSize: number): Promise<{ items: T[]; totals: number[] }> {
  const items: T[] = [];
  const totals: number[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const page = await read(offset, pageSize);
    items.push(...page.items);
    totals.push(page.total);
    if (page.items.length < pageSize) return { items, totals };
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, Math.round((performance.now() - started) * 10) / 10];
}

for (const { kind, fresh } of CATALOG_KINDS) {
  test(`${kind}: ListFiles, ListDataSources and ListDIJobs page in the store over ${TASKS} tasks`, async () => {
    const store: CatalogStore = await (await fresh()).open();
    try {
      const owner = await store.createPrincipal('o', true);
      const project = await store.createProject({ identifier: 'big', name: 'big', description: '', ownerPrincipalId: owner.id, tags: [], disableDevelopment: false, isAllowDownload: 1, projectMode: 2, resourceGroupId: '' });
      const other = await store.createProject({ identifier: 'other', name: 'other', description: '', ownerPrincipalId: owner.id, tags: [], disableDevelopment: false, isAllowDownload: 1, projectMode: 2, resourceGroupId: '' });
      const expected: { id: number; name: string; folder: string; reader: string; initialLoad: boolean; fileSpec: boolean }[] = [];
      for (let i = 0; i < TASKS; i++) {
        const reader = i % 3 === 0 ? 'mysql' : 'postgresql';
        const initialLoad = i % 4 === 0;
        const name = `task_${i}${i % 10 === 7 ? '_orders' : ''}`;
        const folder = `/rt/${i % 5}`;
        const f = await store.createTaskFile({ projectId: project.id, name, fileType: REALTIME_FILE_TYPE, taskType: 'DI_REALTIME', folderPath: folder,
          content: realtimeScript('src', 'dst', ['public.t'], { reader, setting: { initialLoad } }), ownerPrincipalId: owner.id });
        const fileSpec = i % 6 === 0;
        if (fileSpec) {
          const doc = { Name: name, SourceDataSourceType: reader === 'mysql' ? 'MySQL' : 'PostgreSQL', DestinationDataSourceType: 'PostgreSQL', MigrationType: initialLoad ? 'FullAndRealtimeIncremental' : 'RealtimeIncremental' };
          await store.putDIJob({ fileId: f.id, document: JSON.stringify({ ...doc, Description: '', Owner: owner.id, JobType: 'DatabaseRealtimeMigration', SourceDataSourceSettings: [], DestinationDataSourceSettings: [], ResourceSettings: {}, JobSettings: {}, TableMappings: [], TransformationRules: [] }), fileSpec: '{}', fileVersion: f.version });
        }
        expected.push({ id: f.id, name, folder, reader, initialLoad, fileSpec });
      }
      await store.createTaskFile({ projectId: other.id, name: 'task_1_orders', fileType: REALTIME_FILE_TYPE, taskType: 'DI_REALTIME', folderPath: '/rt/1', content: '{}', ownerPrincipalId: owner.id });
      for (let i = 0; i < 250; i++) {
        await store.createDataSource({ projectId: project.id, name: `ds_${i}`, dataSourceType: i % 2 ? 'mysql' : 'postgresql', subType: '', envType: i % 3 ? 1 : 0, description: '', content: { password: `pw${i}` }, status: 'ENABLED', ownerPrincipalId: owner.id });
      }

      // ListFiles: keyword, folder and type filters, page by page.
      const [files, filesPageMs] = await timed(() => allPages((o, l) => store.listTaskFiles(project.id, { keyword: 'ORDERS', folderPath: '/rt/2', fileTypes: [REALTIME_FILE_TYPE] }, o, l), 37));
      const wantFiles = expected.filter((e) => e.name.endsWith('_orders') && e.folder === '/rt/2').map((e) => e.id);
      assert.ok(wantFiles.length > 10);
      assert.deepEqual(files.items.map((f) => f.id), wantFiles);
      assert.ok(files.totals.every((t) => t === wantFiles.length));
      const [lastPage, filePageMs] = await timed(() => store.listTaskFiles(project.id, { fileTypes: [REALTIME_FILE_TYPE] }, TASKS - 100, 100));
      assert.deepEqual(lastPage.items.map((f) => f.id), expected.slice(-100).map((e) => e.id));
      assert.equal(lastPage.total, TASKS);

      // ListDataSources: type and environment filters.
      const sources = await allPages((o, l) => store.listDataSources(project.id, { dataSourceType: 'mysql', envType: 1 }, o, l), 20);
      assert.deepEqual(sources.items.map((d) => d.name), Array.from({ length: 250 }, (_, i) => i).filter((i) => i % 2 && i % 3).map((i) => `ds_${i}`));
      assert.equal(sources.items[0].content.password, 'pw1');

      // ListDIJobs: the first refresh derives every job; later ones only the tasks that changed.
      const [, refreshAllMs] = await timed(() => refreshJobListings(store, project.id, REALTIME_FILE_TYPE));
      assert.equal((await store.staleJobListings(project.id, REALTIME_FILE_TYPE, 10)).length, 0);
      const filter = { name: '_orders', sourceType: 'mysql', migrationType: 'REALTIMEINCREMENTAL' };
      const want = expected.filter((e) => e.name.includes('_orders') && e.reader === 'mysql' && !e.initialLoad).map((e) => e.id);
      assert.ok(want.length > 10);
      const [jobs, jobPagesMs] = await timed(() => allPages((o, l) => store.listJobListings(project.id, REALTIME_FILE_TYPE, filter, o, l), 10));
      assert.deepEqual(jobs.items.map((j) => j.file.id), want);
      assert.ok(jobs.totals.every((t) => t === want.length));
      const [specPage, jobPageMs] = await timed(() => store.listJobListings(project.id, REALTIME_FILE_TYPE, { specType: 'FILESPEC' }, 100, 100));
      assert.deepEqual(specPage.items.map((j) => j.file.id), expected.filter((e) => e.fileSpec).slice(100, 200).map((e) => e.id));
      // Each listed job comes with its job row and run status (read with the page).
      assert.ok(specPage.items.every((j) => j.job?.fileId === j.file.id && j.status === 'NORUN'));
      assert.ok(jobs.items.every((j) => j.job === undefined && j.status === 'NORUN'));
      assert.equal((await store.listJobListings(project.id, REALTIME_FILE_TYPE, { name: '_ORDERS' }, 0, 10)).total, 0, 'the name matches case-sensitively');

      // A 2020 update changes a task's reader: only it is stale, and the next page shows the change.
      const changed = want[0];
      await store.updateTaskFileContent(changed, realtimeScript('src', 'dst', ['public.t'], { setting: { initialLoad: true } }), owner.id);
      assert.deepEqual((await store.staleJobListings(project.id, REALTIME_FILE_TYPE, 10)).map((s) => s.file.id), [changed]);
      const [, refreshOneMs] = await timed(() => refreshJobListings(store, project.id, REALTIME_FILE_TYPE));
      assert.deepEqual((await store.listJobListings(project.id, REALTIME_FILE_TYPE, filter, 0, 1000)).items.map((j) => j.file.id), want.slice(1));
      await store.deleteTaskFile(want[1]);
      assert.equal((await store.listJobListings(project.id, REALTIME_FILE_TYPE, filter, 0, 1000)).total, want.length - 2);

      console.log(`${kind}, ${TASKS} tasks: ListFiles page ${filePageMs} ms (all ${files.items.length} filtered rows in pages of 37: ${filesPageMs} ms); `
        + `ListDIJobs page ${jobPageMs} ms (all ${jobs.items.length} filtered jobs in pages of 10: ${jobPagesMs} ms); `
        + `listing refresh: all ${refreshAllMs} ms, one changed task ${refreshOneMs} ms`);
    } finally {
      await store.close();
    }
  });
}
