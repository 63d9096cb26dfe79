/**
 * StartParam of StartDISyncInstance (docs/design.md section 2). All settings optional.
 * failoverLimit: more than `count` automatic restarts within `interval` minutes fails the task.
 * errorLimit.record: dirty records tolerated (0 = the first fails the task; "" = the default).
 * ddlMarkMap: per DDL type, NORMAL | IGNORE | WARNING | CRITICAL (defaults: DEFAULT_DDL_MARKS).
 * startPosition: start from {"position": "<source position>"} or {"timestamp": "<time>"} instead
 * of the checkpoint (default: the checkpoint, else the initial load / the current end).
 * Other top-level keys are ignored (listed in `ignored`).
 */
import { isObject } from './task-content.ts';

import { DDL_TYPES, type DdlType } from '../engine/ddl-types.ts';

export { DDL_TYPES, type DdlType };
export const DDL_MARKS = ['NORMAL', 'IGNORE', 'WARNING', 'CRITICAL'] as const;
export type DdlMark = (typeof DDL_MARKS)[number];

export interface StartParam {
  failoverLimit: { count: number; interval: number };
  errorLimit: { record: number };
  ddlMarkMap: Partial<Record<DdlType, DdlMark>>;
  startPosition: StartPosition | null;
  /** Top-level keys OpenDI does not know, ignored (README, "What is served"); the caller logs them. */
  ignored?: string[];
}

export type StartPosition = { position: string } | { timestamp: Date };

/**
 * What a DDL type does when ddlMarkMap leaves it out: changes that keep data flowing apply;
 * changes that destroy target data (dropping or renaming tables, dropping columns) are skipped
 * with an alert, so the operator decides.
 */
export const DEFAULT_DDL_MARKS: Record<DdlType, DdlMark> = {
  CREATETABLE: 'NORMAL', ADDCOLUMN: 'NORMAL', MODIFYCOLUMN: 'NORMAL', RENAMECOLUMN: 'NORMAL', TRUNCATETABLE: 'NORMAL',
  DROPTABLE: 'WARNING', RENAMETABLE: 'WARNING', DROPCOLUMN: 'WARNING',
};

export const DEFAULT_START_PARAM: StartParam = {
  failoverLimit: { count: 10, interval: 30 },
  errorLimit: { record: 0 },
  ddlMarkMap: {},
  startPosition: null,
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
        out.errorLimit = { record: errorLimitRecord(value, path) };
        break;
      case 'ddlMarkMap':
        if (!isObject(value)) throw new StartParamError(path, 'must be an object');
        for (const [ddl, mark] of Object.entries(value)) {
          if (!(DDL_TYPES as readonly string[]).includes(ddl)) throw new StartParamError(`${path}.${ddl}`, `is not a DDL type (${DDL_TYPES.join(', ')})`);
          if (!(DDL_MARKS as readonly unknown[]).includes(mark)) throw new StartParamError(`${path}.${ddl}`, `must be one of ${DDL_MARKS.join(', ')}`);
          out.ddlMarkMap[ddl as DdlType] = mark as DdlMark;
        }
        break;
      case 'startPosition':
        out.startPosition = parseStartPosition(value, path);
        break;
      default:
        (out.ignored ??= []).push(key);
    }
  }
  return out;
}

/**
 * errorLimit.record: a whole number; absent, null or "" (the cloud's templates write "" for "no
 * limit set") means the default. `percentage`, which the cloud's batch scripts carry, is accepted
 * and not used; any other key is refused, since a misspelt `record` would silently mean 0.
 */
function errorLimitRecord(value: unknown, path: string): number {
  if (!isObject(value)) throw new StartParamError(path, 'must be an object');
  for (const k of Object.keys(value)) if (k !== 'record' && k !== 'percentage') throw new StartParamError(`${path}.${k}`, 'is not a known setting (record)');
  const record = value.record;
  if (record === undefined || record === null || record === '') return DEFAULT_START_PARAM.errorLimit.record;
  return wholeNumber(record, `${path}.record`, 0);
}

/** A required field of failoverLimit; other keys there are refused (a typo would change the limit). */
function field(obj: unknown, path: string, name: string): unknown {
  if (!isObject(obj)) throw new StartParamError(path, 'must be an object');
  for (const k of Object.keys(obj)) if (k !== 'count' && k !== 'interval') throw new StartParamError(`${path}.${k}`, 'is not a known setting');
  if (!(name in obj)) throw new StartParamError(`${path}.${name}`, 'is required');
  return obj[name];
}

function wholeNumber(v: unknown, path: string, min: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) throw new StartParamError(path, `must be a whole number >= ${min}`);
  return n;
}

function parseStartPosition(v: unknown, path: string): StartPosition | null {
  if (v === null) return null;
  if (!isObject(v) || Object.keys(v).length !== 1) throw new StartParamError(path, 'must be {"position": "..."} or {"timestamp": "..."}');
  if ('position' in v) {
    if (typeof v.position !== 'string' || v.position.trim() === '') throw new StartParamError(`${path}.position`, 'must be a non-empty source position');
    return { position: v.position.trim() };
  }
  if ('timestamp' in v) {
    const t = v.timestamp;
    const date = typeof t === 'number' ? new Date(t) : typeof t === 'string' ? new Date(/^\d{4}-\d{2}-\d{2} \d/.test(t) && !/[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? `${t.replace(' ', 'T')}Z` : t) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw new StartParamError(`${path}.timestamp`, 'must be epoch milliseconds or an ISO 8601 time (UTC when no offset is given)');
    return { timestamp: date };
  }
  throw new StartParamError(`${path}.${Object.keys(v)[0]}`, 'is not a known setting (position, timestamp)');
}
