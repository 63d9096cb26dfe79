/**
 * Secrets never reach a task's log (GetDIJobLog): field values whose name says secret are masked,
 * and credentials embedded in text (URLs with user:password@, `password=...` pairs) are cut out.
 * The engine already keeps passwords out of its log fields (src/logger.ts); this is the second line.
 */
const SECRET_KEY = /pass(word)?|secret|token|credential|accesskey|authorization|private.?key/i;
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]*@/gi;
const PAIR = /\b(password|passwd|pwd|secret|token|access_?token)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&"']+)/gi;

export function redactText(text: string): string {
  return text.replace(URL_USERINFO, '$1***:***@').replace(PAIR, '$1$2***');
}

/** A JSON-safe copy of log fields with secrets masked; Error values become their message. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEY.test(k) ? '***' : redactValue(v, 0);
  return out;
}

function redactValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return redactText(v);
  if (v instanceof Error) return redactText(v.message);
  if (v === null || typeof v !== 'object') return v;
  if (depth > 4) return '[…]';
  if (Array.isArray(v)) return v.slice(0, 50).map((x) => redactValue(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? '***' : redactValue(x, depth + 1);
  return out;
}
