/**
 * Secrets inside a data source's Content. Any key that names a secret, in any case and at any
 * depth (password, Password, pwd, secretKey, accessKeySecret, token, ...), and any such
 * parameter inside the jdbcUrl query (`?password=...`), is shown as "***", as the cloud console
 * does; an update that sends "***" back means "keep the stored value".
 */
export const MASKED = '***';

const SECRET_NAME = /(password|passwd|pwd|secret|accesskey|token|credential|privatekey)/;

export function isSecretKey(name: string): boolean {
  return SECRET_NAME.test(name.toLowerCase().replace(/[^a-z]/g, ''));
}

/** A copy with every secret value replaced by "***". */
export function redactSecrets(value: unknown, key = ''): unknown {
  if (key !== '' && isSecretKey(key) && value !== undefined && value !== null) return MASKED;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)]));
  }
  if (key === 'jdbcUrl' && typeof value === 'string') return mapUrlSecrets(value, () => MASKED);
  return value;
}

/** `next` with every "***" secret replaced by the value stored at the same place (dropped when none is stored). */
export function restoreSecrets(next: unknown, stored: unknown, key = ''): unknown {
  if (key !== '' && isSecretKey(key) && next === MASKED) return stored;
  if (Array.isArray(next)) return next.map((v, i) => restoreSecrets(v, Array.isArray(stored) ? stored[i] : undefined));
  if (typeof next === 'object' && next !== null) {
    const before = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(next)) {
      const restored = restoreSecrets(v, before[k], k);
      if (restored !== undefined) out[k] = restored;
    }
    return out;
  }
  if (key === 'jdbcUrl' && typeof next === 'string') {
    const old = typeof stored === 'string' ? urlSecrets(stored) : new Map<string, string>();
    return mapUrlSecrets(next, (name, value) => (value === MASKED ? old.get(name.toLowerCase()) : value));
  }
  return next;
}

/** Rewrites the values of secret query parameters; a parameter mapped to undefined is removed. */
function mapUrlSecrets(url: string, fn: (name: string, value: string) => string | undefined): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const pairs = url.slice(q + 1).split('&').flatMap((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (!isSecretKey(safeDecode(name))) return [pair];
    const value = fn(name, safeDecode(eq < 0 ? '' : pair.slice(eq + 1)));
    return value === undefined ? [] : [`${name}=${value === MASKED ? MASKED : encodeURIComponent(value)}`];
  });
  return pairs.length === 0 ? url.slice(0, q) : `${url.slice(0, q)}?${pairs.join('&')}`;
}

function urlSecrets(url: string): Map<string, string> {
  const out = new Map<string, string>();
  mapUrlSecrets(url, (name, value) => { out.set(name.toLowerCase(), value); return value; });
  return out;
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}
