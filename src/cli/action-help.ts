/**
 * What `opendi call --help` and `opendi call <Action> --help` print, from the same spec the
 * service decodes requests with (spec/dataworks-openapi.json): the actions per API version
 * (marking those this build serves), and one action's parameters with their type, whether they
 * are required, and where the official SDK sends them (query string or form body; JSON string).
 */
import { loadOperationSpecs, type OperationSpec, type ParamSpec } from '../protocol/operation-spec.ts';
import { servedActions } from '../actions/index.ts';

export function actionListText(): string {
  const specs = loadOperationSpecs();
  const served = servedActions();
  const lines = ['usage: opendi call <Action> [--Param value | --Param @file.json ...] [--api-version V] [--endpoint host:port] [--signature v2|v3] [--data-dir D]',
    '       opendi call <Action> --help    (the action\'s parameters; sends nothing)', ''];
  for (const [version, ops] of [...specs].sort(([a], [b]) => a.localeCompare(b))) {
    const names = [...ops.keys()].sort();
    const servedHere = new Set(served[version] ?? []);
    lines.push(`API version ${version}: served`);
    lines.push(...columns(names.filter((n) => servedHere.has(n))));
    const missing = names.filter((n) => !servedHere.has(n));
    if (missing.length > 0) lines.push(`API version ${version}: in the spec, not served by this build (InvalidAction.NotFound)`, ...columns(missing));
    lines.push('');
  }
  lines.push('Without --api-version an action runs in the oldest version that has it.');
  return lines.join('\n') + '\n';
}

export function actionHelpText(op: OperationSpec, otherVersions: string[]): string {
  const served = (servedActions()[op.version] ?? []).includes(op.action);
  const lines = [`${op.action} (API version ${op.version}, HTTP ${op.method})${served ? '' : ' -- in the spec, not served by this build'}`];
  if (otherVersions.length > 0) lines.push(`also in ${otherVersions.join(', ')} (--api-version V)`);
  const rows: string[][] = [['parameter', 'type', 'required', 'sent in']];
  for (const [name, spec] of Object.entries(op.request).sort(([a], [b]) => a.localeCompare(b))) {
    const place = op.bodyParams.includes(name) ? 'form body' : 'query';
    rows.push([name, typeText(spec), spec.required ? 'yes' : 'no', op.jsonStringParams.includes(name) ? `${place}, as one JSON string` : place]);
    for (const [field, fs] of Object.entries(spec.fields ?? {})) rows.push([`  .${field}`, typeText(fs), fs.required ? 'yes' : 'no', '']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  lines.push('', ...rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()));
  lines.push('', 'A value written @file.json is read from that file (@- reads standard input; @@x is the literal @x).');
  return lines.join('\n') + '\n';
}

function typeText(p: ParamSpec): string {
  return p.type === 'array' && p.fields ? 'list of objects' : p.type === 'string[]' ? 'list of strings' : p.type;
}

function columns(names: string[]): string[] {
  if (names.length === 0) return ['  (none)'];
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const perLine = Math.max(1, Math.floor(100 / width));
  const out: string[] = [];
  for (let i = 0; i < names.length; i += perLine) out.push('  ' + names.slice(i, i + perLine).map((n) => n.padEnd(width)).join('').trimEnd());
  return out;
}

/** Actions whose name is close to `wanted` (case, typos, a part of the name), best first. */
export function closeActionNames(wanted: string, all: string[]): string[] {
  const w = wanted.toLowerCase();
  return all
    .map((name) => ({ name, d: name.toLowerCase().includes(w) || w.includes(name.toLowerCase()) ? 0.5 : editDistance(w, name.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(wanted.length / 4)))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, 5)
    .map((x) => x.name);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
