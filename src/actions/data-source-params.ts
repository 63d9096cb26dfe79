/** Parameter checks shared by the data source actions. */
import { paramInvalid } from '../protocol/errors.ts';

/** Content is a JSON string; the error never repeats it, since it carries the password. */
export function parseContentParam(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw paramInvalid('Content', 'must be a JSON object string');
  }
}

/** EnvType 0 = development, 1 = production (DataWorks). */
export function validateEnvType(v: number): number {
  if (v !== 0 && v !== 1) throw paramInvalid('EnvType', 'must be 0 (development) or 1 (production)');
  return v;
}

export const DATA_SOURCE_STATUSES = ['ENABLED', 'DISABLED'] as const;
