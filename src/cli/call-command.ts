/**
 * `opendi call <Action> --Param value ...`: signs with the configured key and prints the JSON
 * answer, in the spirit of `aliyun dataworks-public <Action> --Param value`. Flags that start
 * with an upper-case letter are API parameters; lower-case ones configure the call.
 */
import path from 'node:path';
import { readStoredAdminKey } from '../config/admin-key.ts';
import { DataWorksClient } from '../client/dataworks-client.ts';

export async function callCommand(action: string | undefined, flags: Record<string, string>): Promise<number> {
  if (!action) {
    process.stderr.write('usage: opendi call <Action> [--Param value ...] [--endpoint host:port] [--api-version V] [--signature v2|v3]\n');
    return 2;
  }
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(flags)) if (/^[A-Z]/.test(k)) params[k] = v;
  const dataDir = path.resolve(flags['data-dir'] ?? process.env.OPENDI_DATA_DIR ?? '.opendi');
  const stored = readStoredAdminKey(dataDir);
  const accessKeyId = process.env.OPENDI_ACCESS_KEY_ID ?? stored?.accessKeyId;
  const accessKeySecret = process.env.OPENDI_ACCESS_KEY_SECRET ?? stored?.secret;
  if (!accessKeyId || !accessKeySecret) {
    process.stderr.write(`no AccessKey: set OPENDI_ACCESS_KEY_ID and OPENDI_ACCESS_KEY_SECRET, or run where ${dataDir} holds the service's key\n`);
    return 2;
  }
  const endpoint = flags.endpoint ?? process.env.OPENDI_ENDPOINT ?? `127.0.0.1:${process.env.OPENDI_PORT ?? 8080}`;
  const signature = flags.signature === 'v2' ? 'v2' : 'v3';
  const client = new DataWorksClient({ endpoint, accessKeyId, accessKeySecret, signature });
  try {
    const res = await client.call(action, params, flags['api-version']);
    process.stdout.write(JSON.stringify(res.body, null, 2) + '\n');
    return 0;
  } catch (err) {
    const e = err as { data?: unknown; message?: string };
    process.stdout.write(JSON.stringify(e.data ?? { Message: e.message }, null, 2) + '\n');
    return 1;
  }
}
