/**
 * The console's API client: every data call is an RPC call to `/`, signed in the browser with the
 * AccessKey pair the person typed in (sign-v3.ts), exactly as the SDK signs; there is no other way
 * in. Errors come back as ApiError with the API's Code and Message.
 */
import { pickHasher, type Hasher } from './hash.ts';
import { OPERATIONS, type OperationName } from './operations.ts';
import { acsDate, randomNonce, signCall, type AccessKey } from './sign-v3.ts';

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly httpStatus: number, readonly requestId = '') {
    super(message);
    this.name = 'ApiError';
  }
}

export type Params = Record<string, string | number | boolean | object | undefined>;

export class ApiClient {
  private readonly hasher: Hasher = pickHasher();
  /** Actions this service answered InvalidAction.NotFound / InvalidVersion for: not asked again. */
  private readonly unserved = new Map<string, ApiError>();

  constructor(readonly key: AccessKey, private readonly host: string = location.host) {}

  async call<T = any>(action: OperationName, params: Params = {}, signal?: AbortSignal): Promise<T> {
    const known = this.unserved.get(action);
    if (known) throw known;
    const op = OPERATIONS[action];
    const bodyNames: readonly string[] = ('body' in op ? op.body : undefined) ?? [];
    const query: Record<string, string> = {};
    const body: Record<string, string> = {};
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
      (bodyNames.includes(name) ? body : query)[name] = text;
    }
    const signed = await signCall({ action, version: op.version, method: op.method, query, body }, this.key, {
      host: this.host, date: acsDate(new Date()), nonce: randomNonce(), hasher: this.hasher,
    });
    let res: Response;
    try {
      res = await fetch(signed.url, { method: signed.method, headers: signed.headers, body: signed.body, signal, cache: 'no-store', credentials: 'omit' });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError('NetworkError', 'The service cannot be reached. Check that it is running and that this page is served by it.', 0);
    }
    let data: any;
    try { data = await res.json(); } catch {
      throw new ApiError('InvalidResponse', `The service answered HTTP ${res.status} without a JSON body.`, res.status);
    }
    if (!res.ok) {
      const err = new ApiError(String(data.Code ?? 'Error'), String(data.Message ?? `HTTP ${res.status}`), res.status, String(data.RequestId ?? ''));
      if (err.code === 'InvalidAction.NotFound' || err.code === 'InvalidVersion') this.unserved.set(action, err);
      throw err;
    }
    return data as T;
  }
}

/** What an error says to a person: the API's message and its code. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.code === 'NetworkError' || err.code === 'InvalidResponse' ? err.message : `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
