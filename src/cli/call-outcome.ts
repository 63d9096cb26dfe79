/**
 * Whether an HTTP 200 answer reports a failure: `Success: false`, or `Data.Status: "fail"` (the
 * DI task and instance actions answer business failures that way, docs/design.md section 1).
 * Returns the reason to show, or undefined when the call succeeded.
 */
export function callFailed(body: Record<string, any>): string | undefined {
  if (body.Success === false) return String(body.ErrorMessage ?? body.Message ?? 'Success is false');
  const data = body.Data;
  if (data && typeof data === 'object' && data.Status === 'fail') return String(data.Message ?? 'Data.Status is fail');
  return undefined;
}
