/**
 * StartParam of StartDISyncInstance (design.md section 2). All settings optional.
 * failoverLimit: more than `count` automatic restarts within `interval` minutes fails the task.
 * errorLimit.record: dirty records tolerated (0 = the first fails the task).
 * ddlMarkMap: per DDL type, NORMAL | IGNORE | WARNING | CRITICAL.
 */
import { isObject } from './task-content.ts';

export const DDL_TYPES = ['CREATETABLE', 'DROPTABLE', 'RENAMETABLE', 'TRUNCATETABLE', 'ADDCOLUMN', 'DROPCOLUMN', 'RENAMECOLUMN', 'MODIFYCOLUMN'] as const;
export const DDL_MARKS = ['NORMAL', 'IGNORE', 'WARNING', 'CRITICAL'] as const;
export type DdlType = (typeof DDL_TYPES)[number];
export type DdlMark = (typeof DDL_MARKS)[number];

export interface StartParam {
  failoverLimit: { count: number; interval: number };
  errorLimit: { record: number };
  ddlMarkMap: Partial<Record<DdlType, DdlMark>>;
}

export const DEFAULT_START_PARAM: StartParam = {
  failoverLimit: { count: 10, interval: 30 },
  errorLimit: { record: 0 },
  ddlMarkMap: {},
};

/** Throws StartParamError naming the offending path (e.g. "StartParam.failoverLimit.count"). */
export class StartParamError extends Error {
  constructor(readonly path: string, reason: string) { super(`${path} ${reason}`); }
}

export function parseStartParam(text: string | undefined): StartParam {
  if (text === undefined || text.trim() === '') return DEFAULT_START_PARAM;
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { throw new StartParamError('StartParam', 'is not valid JSON'); }
  if (!isObject(raw)) throw new StartParamError('StartParam', 'must be a JSON object');
  const out: StartParam = structuredClone(DEFAULT_START_PARAM);
  for (const [key, value] of Object.entries(raw)) {
    const path = `StartParam.${key}`;
    switch (key) {
      case 'failoverLimit':
        out.failoverLimit = {
          count: wholeNumber(field(value, path, 'count'), `${path}.count`, 0),
          interval: wholeNumber(field(value, path, 'interval'), `${path}.interval`, 1),
        };
        break;
      case 'errorLimit':
        out.errorLimit = { record: wholeNumber(field(value, path, 'record'), `${path}.record`, 0) };
        break;
      case 'ddlMarkMap':
        if (!isObject(value)) throw new StartParamError(path, 'must be an object');
        for (const [ddl, mark] of Object.entries(value)) {
          if (!(DDL_TYPES as readonly string[]).includes(ddl)) throw new StartParamError(`${path}.${ddl}`, `is not a DDL type (${DDL_TYPES.join(', ')})`);
          if (!(DDL_MARKS as readonly unknown[]).includes(mark)) throw new StartParamError(`${path}.${ddl}`, `must be one of ${DDL_MARKS.join(', ')}`);
          out.ddlMarkMap[ddl as DdlType] = mark as DdlMark;
        }
        break;
      default:
        throw new StartParamError(path, 'is not a known setting (failoverLimit, errorLimit, ddlMarkMap)');
    }
  }
  return out;
}

function field(obj: unknown, path: string, name: string): unknown {
  if (!isObject(obj)) throw new StartParamError(path, 'must be an object');
  for (const k of Object.keys(obj)) if (k !== name && !(path.endsWith('failoverLimit') && (k === 'count' || k === 'interval'))) {
    throw new StartParamError(`${path}.${k}`, 'is not a known setting');
  }
  if (!(name in obj)) throw new StartParamError(`${path}.${name}`, 'is required');
  return obj[name];
}

function wholeNumber(v: unknown, path: string, min: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) throw new StartParamError(path, `must be a whole number >= ${min}`);
  return n;
}
