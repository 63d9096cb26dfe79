/** Failures that restarting cannot fix: the task goes FAILED with the message (docs/design.md section 2). */
export class UnrecoverableError extends Error {
  override name = 'UnrecoverableError';
}

/** A newer owner of the task claimed the checkpoint: this pipeline's commits are refused (docs/design.md section 4). */
export class FencedError extends UnrecoverableError {
  override name = 'FencedError';
}

/**
 * The target table lacks columns the source table has (a column added at the source, possibly
 * while the task was stopped). The pipeline treats it as ADDCOLUMN under StartParam.ddlMarkMap.
 */
export class MissingTargetColumnsError extends UnrecoverableError {
  override name = 'MissingTargetColumnsError';
  constructor(readonly table: string, readonly columns: string[]) {
    super(`target table ${table} lacks column(s) ${columns.join(', ')} of the source table`);
  }
}
