/** Failures that restarting cannot fix: the task goes FAILED with the message (design.md section 2). */
export class UnrecoverableError extends Error {
  override name = 'UnrecoverableError';
}

/** A newer owner of the task claimed the checkpoint: this pipeline's commits are refused (design.md section 4). */
export class FencedError extends UnrecoverableError {
  override name = 'FencedError';
}
