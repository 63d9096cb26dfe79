/**
 * Bounds on what one parameter may carry, checked at the edge before any handler sees it, so a
 * single request cannot store megabytes in a description (and make every later listing huge) or
 * nest JSON deep enough to exhaust the stack of whatever walks it next. The cloud documents
 * names up to 255 characters and descriptions up to 3,000; task content and data source content
 * limits are ours (README "Limits"). Lengths count UTF-16 code units, as JavaScript does.
 */
import { paramInvalid } from './errors.ts';

export const MAX_NAME_LENGTH = 255;
export const MAX_DESCRIPTION_LENGTH = 3000;
/** TaskContent / TaskParam (and other job specifications). */
export const MAX_SPEC_LENGTH = 1024 * 1024;
/** Data source Content / ConnectionProperties, StartParam, and any other text. */
export const MAX_TEXT_LENGTH = 64 * 1024;
/** Nesting of a JSON value (arrays and objects); real scripts nest fewer than 10 levels. */
export const MAX_JSON_DEPTH = 64;
/** Segments of a flattened name after the parameter (Tags.1.Key has two). */
export const MAX_FLATTENED_DEPTH = 8;

type TextClass = 'name' | 'description' | 'spec' | 'text';

const SPEC_PARAMS = new Set(['TaskContent', 'TaskParam', 'FileSpec', 'FileIdIn']);
const NAME_PARAMS = new Set(['Keyword', 'Owner', 'LastEditUser', 'ClientToken', 'TaskType', 'DataSourceType', 'SubType', 'Status', 'EnvType']);
/** Controls (C0, DEL, C1) and the bidirectional overrides/isolates that make a name display as another. */
const NAME_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Descriptions may span lines; other controls are refused. */
const TEXT_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function classOf(name: string): TextClass {
  if (/Description$/.test(name)) return 'description';
  if (SPEC_PARAMS.has(name)) return 'spec';
  if (/(Name|Identifier)$/.test(name) || NAME_PARAMS.has(name)) return 'name';
  return 'text';
}

const LIMITS: Record<TextClass, number> = { name: MAX_NAME_LENGTH, description: MAX_DESCRIPTION_LENGTH, spec: MAX_SPEC_LENGTH, text: MAX_TEXT_LENGTH };

/** A string parameter's value within its bound; `path` names it in the error. */
export function checkText(path: string, top: string, value: string): void {
  const cls = classOf(top);
  if (value.length > LIMITS[cls]) throw paramInvalid(path, `must be at most ${LIMITS[cls]} characters`);
  if (cls === 'name' && NAME_FORBIDDEN.test(value)) throw paramInvalid(path, 'must not contain control or bidirectional-override characters');
  if (cls === 'description' && TEXT_FORBIDDEN.test(value)) throw paramInvalid(path, 'must not contain control characters');
  if (cls !== 'name' && cls !== 'description' && /^\s*[[{]/.test(value)) checkJsonDepth(path, value);
}

/** JSON text nested deeper than MAX_JSON_DEPTH is refused before anything parses it. */
export function checkJsonDepth(path: string, text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw paramInvalid(path, `is JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}
