/**
 * The operator's allow-list of webhook hosts (OPENDI_WEBHOOK_ALLOWED_HOSTS). A WebHookUrl comes
 * from an API caller, so posting to it is a server-side request on the caller's behalf (SSRF):
 * only hosts the operator listed are reached. Entries: `host`, `host:port`, `*.domain` (any
 * subdomain, not the domain itself), IPv4 and `[IPv6]` literals; comma-separated, case-insensitive.
 */
export interface HostAllowList { entries: { host: string; port: string | null; wildcard: boolean }[] }

export function parseHostAllowList(text: string): HostAllowList {
  const entries = text.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '').map((entry) => {
    const m = /^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(entry);
    if (!m || m[2].startsWith('.') || m[2].endsWith('.')) throw new Error(`${JSON.stringify(entry)} is not a host, host:port or *.domain`);
    return { wildcard: m[1] !== undefined, host: m[2], port: m[3] ?? null };
  });
  return { entries };
}

/** Null when the URL may be posted to, else why not (for a 400 or a failed delivery). */
export function checkWebhookUrl(list: HostAllowList, text: string): string | null {
  let url: URL;
  try { url = new URL(text); } catch { return 'is not a URL'; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const allowed = list.entries.some((e) => (e.port === null || e.port === port)
    && (e.wildcard ? host.endsWith(`.${e.host}`) : host === e.host));
  if (!allowed) {
    return list.entries.length === 0
      ? 'cannot be used: the operator has not allowed any webhook host (OPENDI_WEBHOOK_ALLOWED_HOSTS)'
      : `has host ${host}:${port}, which is not in the operator's webhook allow-list (OPENDI_WEBHOOK_ALLOWED_HOSTS)`;
  }
  return null;
}
