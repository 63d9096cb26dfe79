/** CreateProject (2020-05-18): creates a workspace owned by the caller; Data is the new ProjectId. */
import { paramInvalid } from '../protocol/errors.ts';
import type { Action } from './action-handler.ts';
import { UniqueViolationError } from '../store/catalog-store.ts';
import type { ActionDeps } from './action-deps.ts';

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{2,27}$/;
/** The cloud's tag limits: 20 tags per resource, keys and values up to 128 characters. */
const MAX_TAGS = 20;
const MAX_TAG_TEXT = 128;

function validateTags(tags: { Key: string; Value?: string }[] | undefined): { Key: string; Value: string }[] {
  if (!tags) return [];
  if (tags.length > MAX_TAGS) throw paramInvalid('Tags', `may hold at most ${MAX_TAGS} tags`);
  tags.forEach((t, i) => {
    if (typeof t.Key !== 'string' || t.Key === '' || t.Key.length > MAX_TAG_TEXT) throw paramInvalid(`Tags.${i + 1}.Key`, `must be 1-${MAX_TAG_TEXT} characters`);
    if (t.Value !== undefined && t.Value.length > MAX_TAG_TEXT) throw paramInvalid(`Tags.${i + 1}.Value`, `must be at most ${MAX_TAG_TEXT} characters`);
  });
  return tags.map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
}

export const createProject: Action<'2020-05-18', 'CreateProject'> = async (deps, ctx) => {
  const p = ctx.params;
  const identifier = p.ProjectIdentifier;
  if (!IDENTIFIER.test(identifier)) {
    throw paramInvalid('ProjectIdentifier', 'must start with a letter and hold 3-28 letters, digits or underscores');
  }
  const name = p.ProjectName.trim();
  if (name === '' || name.length > 64) throw paramInvalid('ProjectName', 'must be 1-64 characters');
  const duplicate = () => paramInvalid('ProjectIdentifier', `a workspace named ${identifier} already exists`);
  if (await deps.store.findProjectByIdentifier(identifier)) throw duplicate();
  const tags = validateTags(p.Tags);
  const project = await deps.store.createProject({
    identifier, name,
    description: p.ProjectDescription ?? '',
    ownerPrincipalId: ctx.principalId,
    tags,
    disableDevelopment: p.DisableDevelopment ?? false,
    isAllowDownload: p.IsAllowDownload ?? 1,
    projectMode: p.ProjectMode ?? 2, // SDK: "2 (default): basic mode"
    resourceGroupId: p.ResourceManagerResourceGroupId ?? '',
  }).catch((err) => { throw err instanceof UniqueViolationError ? duplicate() : err; });
  return { Success: true, HttpStatusCode: 200, Data: project.id };
};
