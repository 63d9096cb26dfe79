/**
 * The workspace default ddlMarkMap (ListDIProjectConfig / UpdateDIProjectConfig, 2020-05-18,
 * spec/di-api-audit.md section 5): per workspace and destination type, optionally per source type.
 * A pipeline's marks are layered, each level filling what the one above leaves out: the Start's
 * StartParam.ddlMarkMap, then the workspace default for its (source, destination), then the
 * workspace default for the destination and any source, then DEFAULT_DDL_MARKS.
 */
import type { CatalogStore } from '../store/catalog-store.ts';
import { DDL_MARKS, DDL_TYPES, DEFAULT_DDL_MARKS, type DdlMark, type DdlType } from '../domain/start-param.ts';

export type DdlMarks = Record<DdlType, DdlMark>;

/** The effective workspace marks for a source and destination type (lower-case DataWorks type names). */
export async function workspaceDdlMarks(store: CatalogStore, projectId: number, sourceType: string, destinationType: string): Promise<DdlMarks> {
  const anySource = await store.monitoring.getProjectDdlConfig(projectId, '', destinationType);
  const exact = sourceType === '' ? undefined : await store.monitoring.getProjectDdlConfig(projectId, sourceType, destinationType);
  return { ...DEFAULT_DDL_MARKS, ...parseStored(anySource), ...parseStored(exact) };
}

/** Marks as a JSON object with every DDL type, in a stable order. */
export function ddlMarksJson(marks: DdlMarks): string {
  return JSON.stringify(Object.fromEntries(DDL_TYPES.map((t) => [t, marks[t]])));
}

/** Checks a ProjectConfig text: null when valid, else [path, reason]. */
export function checkDdlMarks(text: string): { marks: Partial<DdlMarks> } | { path: string; reason: string } {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return { path: 'ProjectConfig', reason: 'must be a JSON object of DDL type -> mark' }; }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { path: 'ProjectConfig', reason: 'must be a JSON object of DDL type -> mark' };
  const marks: Partial<DdlMarks> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(DDL_TYPES as readonly string[]).includes(k)) return { path: `ProjectConfig.${k}`, reason: `is not a DDL type (${DDL_TYPES.join(', ')})` };
    if (!(DDL_MARKS as readonly unknown[]).includes(v)) return { path: `ProjectConfig.${k}`, reason: `must be one of ${DDL_MARKS.join(', ')}` };
    marks[k as DdlType] = v as DdlMark;
  }
  return { marks };
}

function parseStored(text: string | undefined): Partial<DdlMarks> {
  if (!text) return {};
  const checked = checkDdlMarks(text);
  return 'marks' in checked ? checked.marks : {};
}
