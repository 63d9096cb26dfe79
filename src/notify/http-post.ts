/**
 * One notification POST with the delivery rules of README "Webhook payload": each attempt is
 * bounded by `timeoutMs` (connect, send and answer together), redirects are never followed (a 3xx
 * is a failure: the target was allow-listed, where it points was not), at most `attempts`
 * attempts with exponential backoff (1 s, 2 s, 4 s ... with jitter) after a network error, a
 * timeout, a 429 or a 5xx; other answers are final. Answer bodies are read up to 64 KiB.
 * Reasons name the host only: a URL may carry a token.
 */
import type { DeliveryResult } from './alarm-notice.ts';

const MAX_ANSWER_BYTES = 64 * 1024;

export interface PostOptions {
  timeoutMs: number;
  attempts: number;
  headers?: Record<string, string>;
  /** Judges a 2xx answer by its body (robots answer 200 with an error code); default: accepted. */
  judge?: (body: string) => DeliveryResult;
  /** Backoff base (tests shorten it). */
  backoffMs?: number;
}

export async function postJson(url: string, body: string, o: PostOptions): Promise<DeliveryResult> {
  const host = safeHost(url);
  let last = 'not attempted';
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    if (attempt > 1) await sleep((o.backoffMs ?? 1000) * 2 ** (attempt - 2) * (0.75 + Math.random() / 2));
    let status: number;
    let answer: string;
    try {
      const res = await fetch(url, {
        method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(o.timeoutMs),
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'OpenDI-Alarm/1', ...o.headers },
      });
      status = res.status;
      answer = await readCapped(res);
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      last = e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `${host} did not answer within ${o.timeoutMs} ms`
        : `${host} could not be reached (${e.cause?.code ?? e.message})`;
      continue;
    }
    if (status >= 200 && status < 300) {
      const verdict = o.judge ? o.judge(answer) : { ok: true };
      if (verdict.ok) return verdict;
      return { ok: false, reason: `${host}: ${verdict.reason}` };
    }
    if (status >= 300 && status < 400) return { ok: false, reason: `${host} answered HTTP ${status} (a redirect); redirects are not followed` };
    last = `${host} answered HTTP ${status}`;
    if (status !== 429 && status < 500) return { ok: false, reason: last };
  }
  return { ok: false, reason: `${last} (${o.attempts} attempt${o.attempts === 1 ? '' : 's'})` };
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_ANSWER_BYTES) { await reader.cancel().catch(() => undefined); break; }
  }
  return Buffer.concat(chunks).toString('utf8', 0, Math.min(size, MAX_ANSWER_BYTES));
}

function safeHost(url: string): string {
  try { return new URL(url).host; } catch { return 'the receiver'; }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
