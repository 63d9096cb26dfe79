/**
 * ListDIProjectConfig / UpdateDIProjectConfig (2020-05-18, spec/di-api-audit.md section 5): the
 * workspace default ddlMarkMap per destination type and, optionally, source type. Before any
 * update the answer is OpenDI's DEFAULT_DDL_MARKS. Update merges the given marks into the current
 * ones. Real-time tasks of the workspace use them (src/runtime/workspace-ddl-defaults.ts).
 */
import { paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { requireProject } from '../access.ts';
import { checkDdlMarks, ddlMarksJson, workspaceDdlMarks } from '../../runtime/workspace-ddl-defaults.ts';

/** The documented values, plus postgresql (an OpenDI extension: it is what OpenDI syncs). */
const DESTINATION_TYPES = ['analyticdb_for_mysql', 'odps', 'elasticsearch', 'holo', 'mysql', 'polardb', 'postgresql'];
const SOURCE_TYPES = ['oracle', 'mysql', 'polardb', 'datahub', 'drds', 'analyticdb_for_mysql', 'postgresql'];

function types(p: { DestinationType: string; SourceType?: string }): { source: string; destination: string } {
  const destination = p.DestinationType.toLowerCase();
  if (!DESTINATION_TYPES.includes(destination)) throw paramInvalid('DestinationType', `must be one of ${DESTINATION_TYPES.join(', ')}`);
  const source = p.SourceType === undefined || p.SourceType === '' ? '' : p.SourceType.toLowerCase();
  if (source !== '' && !SOURCE_TYPES.includes(source)) throw paramInvalid('SourceType', `must be one of ${SOURCE_TYPES.join(', ')}, or be left out for every source`);
  return { source, destination };
}

export const listDIProjectConfig: Action<'2020-05-18', 'ListDIProjectConfig'> = async (deps, ctx) => {
  const project = await requireProject(deps, ctx, ctx.params.ProjectId);
  const { source, destination } = types(ctx.params);
  return { Success: true, Data: { Config: ddlMarksJson(await workspaceDdlMarks(deps.store, project.id, source, destination)) } };
};

export const updateDIProjectConfig: Action<'2020-05-18', 'UpdateDIProjectConfig'> = async (deps, ctx) => {
  const project = await requireProject(deps, ctx, ctx.params.ProjectId);
  const { source, destination } = types(ctx.params);
  const checked = checkDdlMarks(ctx.params.ProjectConfig);
  if ('path' in checked) throw paramInvalid(checked.path, checked.reason);
  const merged = { ...await workspaceDdlMarks(deps.store, project.id, source, destination), ...checked.marks };
  await deps.store.monitoring.putProjectDdlConfig(project.id, source, destination, ddlMarksJson(merged));
  return { Success: true, Data: { Status: 'success' } };
};
