/**
 * CreateFolder (2020-05-18, spec/di-api-audit.md section 5): a DataStudio folder path of the
 * workspace, e.g. `Business_process/System_Data/MaxCompute/import_layer`; missing parents are
 * created too. `Data` is the folder's opaque id. Rules (the cloud documents none): segments of
 * 1-128 characters without control characters, no `.` or `..`, at most 32 levels; an existing
 * folder is a 400.
 */
import { paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { resolveProjectParam } from '../resolve-project-param.ts';

const MAX_DEPTH = 32;
const MAX_SEGMENT = 128;

export const createFolder: Action<'2020-05-18', 'CreateFolder'> = async (deps, ctx) => {
  const project = await resolveProjectParam(deps, ctx);
  const segments = folderSegments(ctx.params.FolderPath);
  const path = segments.join('/');
  if (await deps.store.monitoring.findFolder(project.id, path)) throw paramInvalid('FolderPath', `${JSON.stringify(path)} already exists in workspace ${project.id}`);
  let id = '';
  for (let i = 1; i <= segments.length; i++) {
    const prefix = segments.slice(0, i).join('/');
    id = (await deps.store.monitoring.findFolder(project.id, prefix))?.id ?? (await deps.store.monitoring.createFolder(project.id, prefix)).id;
  }
  return { Success: true, HttpStatusCode: 200, Data: id };
};

export function folderSegments(text: string): string[] {
  const segments = text.trim().replace(/^\/+|\/+$/g, '').split('/');
  if (segments.length > MAX_DEPTH) throw paramInvalid('FolderPath', `must have at most ${MAX_DEPTH} levels`);
  for (const s of segments) {
    // eslint-disable-next-line no-control-regex
    if (s === '' || s.length > MAX_SEGMENT || s === '.' || s === '..' || /[\u0000-\u001f\u007f]/.test(s)) {
      throw paramInvalid('FolderPath', `must be folder names of 1 to ${MAX_SEGMENT} characters separated by "/" (no empty names, "." or "..")`);
    }
  }
  return segments;
}
