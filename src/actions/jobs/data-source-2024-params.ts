/** Checks shared by the 2024-05-18 data-source operations (README, "The 2024-05-18 DI Job API"). */
import { paramInvalid } from '../../protocol/errors.ts';
import { isContentProblem, mergeUpdatedContent, validateContent } from '../../domain/data-source-content.ts';
import { JobInputError } from '../../domain/di-job/job-document.ts';
import { canonicalFromProperties, type CanonicalDataSource } from '../../domain/di-job/connection-properties.ts';
import { protocolOfDataSourceType } from '../../domain/di-job/job-types.ts';

/** Letters, digits and _, not starting with a digit or _ (CreateDataSource), at most 255 characters. */
export const DATA_SOURCE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,254}$/;

export function connectionMode(mode: unknown): void {
  if (mode !== undefined && mode !== 'UrlMode') {
    throw paramInvalid('ConnectionPropertiesMode', `must be UrlMode (a host, port and database); ${JSON.stringify(mode)} names cloud instances this engine cannot reach`);
  }
}

/**
 * ConnectionProperties -> the canonical record, validated as the 2020 operations validate Content;
 * for an update (`stored`), with their rule for the password: "***" or none keeps the stored one,
 * unless host, port, database, user or TLS settings change (then it must be given again).
 */
export function canonicalOf(type: string, text: unknown, stored?: Record<string, unknown>): CanonicalDataSource {
  let canonical: CanonicalDataSource;
  try {
    canonical = canonicalFromProperties(type, text, stored !== undefined);
  } catch (err) {
    if (err instanceof JobInputError) throw paramInvalid(err.path, err.reason);
    throw err;
  }
  const kind = protocolOfDataSourceType(type)!;
  const checked = stored ? mergeUpdatedContent(kind, canonical.content, stored) : validateContent(kind, canonical.content);
  if (isContentProblem(checked)) throw paramInvalid(checked.field ? `ConnectionProperties.${checked.field}` : 'ConnectionProperties', checked.reason);
  return { envType: canonical.envType, content: checked };
}
