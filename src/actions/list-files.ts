/**
 * ListFiles (2020-05-18): the workspace's task files (real-time tasks are FileType 900), filtered
 * and paged in the store, so TotalCount and every page count only matching files.
 */
import { paramInvalid } from '../protocol/errors.ts';
import type { Action } from './action-handler.ts';
import type { ActionDeps } from './action-deps.ts';
import { paging } from './access.ts';
import { fileView } from './file-view.ts';
import { resolveProjectParam } from './resolve-project-param.ts';

export const listFiles: Action<'2020-05-18', 'ListFiles'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await resolveProjectParam(deps, ctx);
  const { pageNumber, pageSize, offset } = paging(p, 10, 100);
  const page = await deps.store.listTaskFiles(project.id, {
    keyword: p.Keyword,
    exactName: p.ExactFileName,
    owner: p.Owner,
    fileTypes: p.FileTypes === undefined ? undefined : intList(p.FileTypes, 'FileTypes'),
    fileIds: p.FileIdIn === undefined ? undefined : intList(p.FileIdIn, 'FileIdIn'),
    folderPath: p.FileFolderPath,
  }, offset, pageSize);
  const files = page.items.map((f) => fileView(f, p.NeedContent === true));
  return { Success: true, HttpStatusCode: 200, Data: { PageNumber: pageNumber, PageSize: pageSize, TotalCount: page.total, Files: files } };
};

/** Integers only, each exact in a double: the store binds the list as one value (never SQL text). */
function intList(v: string, name: string): number[] {
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.some((s) => !/^\d{1,16}$/.test(s) || !Number.isSafeInteger(Number(s)))) throw paramInvalid(name, 'must be a comma-separated list of integers');
  return parts.map(Number);
}
