/**
 * CreateDataSource (2020-05-18): postgresql and mysql in connection-string mode.
 * The password is stored sealed, never returned, logged or echoed in an error.
 */
import { paramInvalid } from '../protocol/errors.ts';
import type { Action } from './action-handler.ts';
import { SUPPORTED_DATA_SOURCE_TYPES, validateContent } from '../domain/data-source-content.ts';
import type { EngineKind } from '../domain/jdbc-url.ts';
import type { ActionDeps } from './action-deps.ts';
import { requireProject } from './access.ts';
import { duplicateName, nameConflict, parseContentParam, requireAllowedHost, requireValidContent, validateEnvType } from './data-source-params.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,59}$/;

export const createDataSource: Action<'2020-05-18', 'CreateDataSource'> = async (deps, ctx) => {
  const p = ctx.params;
  const project = await requireProject(deps, ctx, p.ProjectId);
  const type = p.DataSourceType;
  if (!(SUPPORTED_DATA_SOURCE_TYPES as readonly string[]).includes(type)) {
    throw paramInvalid('DataSourceType', `must be one of ${SUPPORTED_DATA_SOURCE_TYPES.join(', ')}`);
  }
  const name = p.Name;
  if (!NAME.test(name)) throw paramInvalid('Name', 'must start with a letter and hold up to 60 letters, digits or underscores');
  const envType = validateEnvType(p.EnvType);
  if (p.SubType !== undefined && p.SubType !== '' && p.SubType !== type) {
    throw paramInvalid('SubType', `must be empty or ${type} for a ${type} data source`);
  }
  const content = requireValidContent(validateContent(type as EngineKind, parseContentParam(p.Content)));
  await requireAllowedHost(deps, content);
  if (await deps.store.findDataSourceByName(project.id, name, envType)) throw duplicateName(name, envType);
  try {
    const ds = await deps.store.createDataSource({
      projectId: project.id, name, dataSourceType: type, subType: '', envType, // SubType applies to rds only (SDK)
      description: p.Description ?? '', content, status: 'ENABLED', ownerPrincipalId: ctx.principalId,
    });
    return { Success: true, HttpStatusCode: '200', Data: ds.id };
  } catch (err) {
    // A concurrent create of the same name got past the lookup: the constraint decides.
    throw nameConflict(err, name, envType);
  }
};
