/**
 * UpdateDIJob (2024-05-18): replaces the fields given (src/domain/di-job/parse-job.ts); the new
 * definition is deployed at once and a running job takes it at its next Start (the run keeps the
 * document it started with: store.claimDIJobRun). A task made through the 2020 API becomes a
 * 2024 job from its derived job document.
 */
import type { Action } from '../action-handler.ts';
import { parseUpdateJob } from '../../domain/di-job/parse-job.ts';
import type { ActionDeps } from '../action-deps.ts';
import { fileSpecOf } from './create-di-job.ts';
import { asParamError, loadJob } from './load-job.ts';
import { resolveJob } from './resolve-job.ts';

export const updateDIJob: Action<'2024-05-18', 'UpdateDIJob'> = async (deps, ctx) => {
  const { file, doc: stored, row } = await loadJob(deps, ctx);
  let doc;
  try { doc = parseUpdateJob(ctx.params, stored); } catch (err) { throw asParamError(err); }
  const { content } = await resolveJob(deps, file.projectId, doc);
  await deps.store.updateTaskFileContent(file.id, content, ctx.principalId);
  const version = (await deps.store.getTaskFile(file.id))!.version;
  await deps.store.setDeployed(file.id, content, version);
  await deps.store.putDIJob({ fileId: file.id, document: JSON.stringify(doc), fileSpec: fileSpecOf(ctx.params) ?? row?.fileSpec ?? null, fileVersion: version });
  return { Success: true };
};
