/**
 * A DataWorks API client built on `@alicloud/openapi-core`, the library the official DataWorks
 * SDKs are generated on: each parameter travels where the SDK sends it (query string or form
 * body, per spec/dataworks-openapi.json). Used by `opendi call` and by the tests.
 */
import OpenApiModule, { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import { loadOperationSpec } from './operation-catalog.ts';

export interface ClientOptions {
  endpoint: string; // host:port, signed as the `host` header
  accessKeyId: string;
  accessKeySecret: string;
  /** 'v3' (ACS3-HMAC-SHA256, the library default) or 'v2' (HMAC-SHA1). */
  signature?: 'v2' | 'v3';
  readTimeoutMs?: number;
}

/**
 * Values the library would generate itself (x-acs-date, x-acs-signature-nonce, V2 Timestamp,
 * SignatureNonce): the library lets a request's own headers/query override them, and they are
 * signed as given. Tests use this to replay a nonce or send a stale timestamp.
 */
export interface CallExtras { headers?: Record<string, string>; query?: Record<string, string> }

export interface CallResult { statusCode: number; headers: Record<string, string>; body: Record<string, any> }

// The package is CommonJS with `exports.default = Client`: from ESM the class sits on `.default`.
const OpenApiClient = OpenApiModule.default;
type OpenApiClient = InstanceType<typeof OpenApiClient>;

export class DataWorksClient {
  private readonly client: OpenApiClient;

  constructor(private readonly options: ClientOptions) {
    this.client = new OpenApiClient(new $OpenApiUtil.Config({
      accessKeyId: options.accessKeyId,
      accessKeySecret: options.accessKeySecret,
      endpoint: options.endpoint,
      protocol: 'http',
      signatureAlgorithm: options.signature === 'v2' ? 'v2' : undefined,
      readTimeout: options.readTimeoutMs ?? 60_000,
      connectTimeout: 5_000,
    }));
  }

  /** Calls an action; rejects with the library's ClientError/ServerError on 4xx/5xx answers. */
  async call(action: string, params: Record<string, unknown>, version?: string, extra: CallExtras = {}): Promise<CallResult> {
    const op = loadOperationSpec(action, version);
    const query: Record<string, string> = {};
    const body: Record<string, string> = {};
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (op.bodyParams.includes(name)) body[name] = text;
      else query[name] = text;
    }
    const request = new $OpenApiUtil.OpenApiRequest({
      query: { ...query, ...extra.query },
      headers: extra.headers,
      body: Object.keys(body).length > 0 ? body : undefined,
    });
    const p = new $OpenApiUtil.Params({
      action, version: op.version, protocol: 'HTTP', pathname: '/', method: op.method, authType: 'AK',
      style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
    });
    // No retries: a test or an operator must see exactly one request per call.
    const runtime = new $dara.RuntimeOptions({ autoretry: false, maxAttempts: 0 });
    return (await this.client.callApi(p, request, runtime)) as CallResult;
  }
}
