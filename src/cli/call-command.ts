/**
 * `opendi call <Action> --Param value ...`: signs with the configured key and prints the JSON
 * answer, in the spirit of `aliyun dataworks-public <Action> --Param value`. Flags that start
 * with an upper-case letter are API parameters; lower-case ones configure the call.
 *
 * Exit code: 0 when the call succeeded; 1 when it failed (an HTTP error, `Success: false`, or
 * `Data.Status: "fail"`; the answer is still printed on stdout for scripts); 2 for a usage error.
 */
import { callFailed } from './call-outcome.ts';
import { actionHelpText, actionListText, closeActionNames } from './action-help.ts';
import { openConnection, unreachableHint } from './cli-connection.ts';
import { ParamFileError, readParamValue } from './param-value.ts';
import { loadOperationSpecs } from '../protocol/operation-spec.ts';

export async function callCommand(action: string | undefined, flags: Record<string, string>): Promise<number> {
  if (!action || action === 'help') {
    process.stdout.write(actionListText());
    return action || flags.help ? 0 : 2;
  }
  const specs = loadOperationSpecs();
  const versions = [...specs.keys()].sort().filter((v) => specs.get(v)!.has(action));
  const version = flags['api-version'] ?? versions[0];
  const op = specs.get(version)?.get(action);
  if (!op) {
    const all = [...new Set([...specs.values()].flatMap((ops) => [...ops.keys()]))];
    const close = closeActionNames(action, all);
    const where = versions.length > 0 ? ` in API version ${version} (it is in ${versions.join(', ')})` : '';
    process.stderr.write(`unknown action ${action}${where}.${close.length > 0 ? ` Did you mean: ${close.join(', ')}?` : ''} (opendi call --help lists them)\n`);
    return 2;
  }
  if (flags.help !== undefined) {
    process.stdout.write(actionHelpText(op, versions.filter((v) => v !== version)));
    return 0;
  }
  const params: Record<string, string> = {};
  try {
    for (const [k, v] of Object.entries(flags)) if (/^[A-Z]/.test(k)) params[k] = readParamValue(k, v);
  } catch (err) {
    if (!(err instanceof ParamFileError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const conn = openConnection(flags);
  if (typeof conn === 'string') {
    process.stderr.write(`${conn}\n`);
    return 2;
  }
  try {
    const res = await conn.client.call(action, params, version);
    process.stdout.write(JSON.stringify(res.body, null, 2) + '\n');
    const failure = callFailed(res.body);
    if (failure) process.stderr.write(`opendi: ${action} failed: ${failure}\n`);
    return failure ? 1 : 0;
  } catch (err) {
    const hint = unreachableHint(err, conn.endpoint);
    if (hint) {
      process.stderr.write(`${hint}\n`);
      return 1;
    }
    const e = err as { data?: unknown; message?: string };
    process.stdout.write(JSON.stringify(e.data ?? { Message: e.message }, null, 2) + '\n');
    return 1;
  }
}
