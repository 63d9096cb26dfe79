/**
 * src/generated/params.ts (scripts/gen-params.ts) against spec/dataworks-openapi.json and the decoder:
 * the committed file is what the spec generates now; the types it writes are the values
 * decode-params.ts produces; and what the types forbid is a compile error (the @ts-expect-error
 * lines below fail `npm run typecheck` once they stop being errors). No servers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { PARAMS_FILE, renderParams } from '../scripts/gen-params.ts';
import { loadOperationSpecs, type OperationSpec, type OperationSpecs } from '../src/protocol/operation-spec.ts';
import { decodeParams } from '../src/protocol/decode-params.ts';
import { createActionRegistry } from '../src/protocol/action-registry.ts';
import type { Action, ActionMap } from '../src/actions/action-handler.ts';
import type { ParamsOf } from '../src/generated/params.ts';

test('src/generated/params.ts is up to date with spec/dataworks-openapi.json (else: npm run gen:params)', () => {
  const committed = fs.readFileSync(PARAMS_FILE, 'utf8');
  const fresh = renderParams(loadOperationSpecs());
  if (committed !== fresh) {
    const a = committed.split('\n');
    const b = fresh.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    assert.fail(`src/generated/params.ts is stale against spec/dataworks-openapi.json (first difference at line ${line + 1}: `
      + `${JSON.stringify(a[line])} vs ${JSON.stringify(b[line])}); run npm run gen:params and commit the result`);
  }
});

const probe: OperationSpec = {
  version: '2099-01-01', action: 'Probe', method: 'POST', queryParams: [], bodyParams: [], jsonStringParams: [],
  request: {
    Id: { type: 'number', required: true },
    Name: { type: 'string' },
    Flag: { type: 'boolean' },
    Names: { type: 'string[]' },
    Tags: { type: 'array', fields: { Key: { type: 'string', required: true }, Value: { type: 'string' } } },
    Settings: { type: 'object', fields: { Limit: { type: 'number' }, Inner: { type: 'object', fields: { On: { type: 'boolean' } } } } },
    Free: { type: 'array', note: 'anything */ at all' },
    Loose: { type: 'object' },
  },
};
const probeSpecs: OperationSpecs = new Map([['2099-01-01', new Map([['Probe', probe]])]]);

test('each spec type is rendered as the type the decoder produces for it', () => {
  const text = renderParams(probeSpecs);
  const body = text.slice(text.indexOf('export type ProbeParams20990101 = {'), text.indexOf('/** version'));
  assert.equal(body, [
    'export type ProbeParams20990101 = {',
    '  Id: number;',
    '  Name?: string;',
    '  Flag?: boolean;',
    '  Names?: string[];',
    '  Tags?: {',
    '    Key: string;',
    '    Value?: string;',
    '  }[];',
    '  Settings?: {',
    '    Limit?: number;',
    '    Inner?: {',
    '      On?: boolean;',
    '    };',
    '  };',
    '  /** anything *\\/ at all */',
    '  Free?: unknown[];',
    '  Loose?: Record<string, unknown>;',
    '};',
    '',
    '',
  ].join('\n'));
  assert.match(text, /'2099-01-01': \{\n {4}Probe: ProbeParams20990101;\n {2}\};/);

  // The same request, flattened and as JSON strings, decodes to values of exactly those types.
  const flat = decodeParams(probe, { Id: '7', Flag: 'true', 'Names.1': 'a', 'Tags.1.Key': 'k', 'Settings.Limit': '3', 'Settings.Inner.On': 'false', 'Free.1': 'x' }, {});
  const json = decodeParams(probe, { Id: '7', Flag: 'true', Names: '["a"]', Tags: '[{"Key":"k"}]', Settings: '{"Limit":3,"Inner":{"On":false}}', Free: '["x"]' }, {});
  const expected = { Id: 7, Flag: true, Names: ['a'], Tags: [{ Key: 'k' }], Settings: { Limit: 3, Inner: { On: false } }, Free: ['x'] };
  assert.deepEqual(flat, expected);
  assert.deepEqual(json, expected);
  // Absent optional parameters are absent (not null, not ""), so `?:` is exact.
  assert.deepEqual(decodeParams(probe, { Id: '1', Flag: '', Names: '' }, {}), { Id: 1 });
});

test('the types refuse what the spec refuses: unknown operation, wrong version, misspelt or mistyped parameter, missing handler', () => {
  const registry = createActionRegistry();
  const handler = async () => ({});
  // @ts-expect-error CreateDIJob is a 2024-05-18 operation
  assert.throws(() => registry.register('2020-05-18', 'CreateDIJob', handler), /not in spec/);
  // @ts-expect-error no such operation
  assert.throws(() => registry.register('2024-05-18', 'CreateDIJobs', handler), /not in spec/);
  registry.register('2020-05-18', 'CreateProject', async (ctx) => ({ Name: ctx.params.ProjectName.trim() }));

  const misspelt: Action<'2020-05-18', 'CreateProject'> = async (_deps, ctx) => ({
    // @ts-expect-error ProjectNam is not a parameter of CreateProject
    Data: ctx.params.ProjectNam,
  });
  const mistyped: Action<'2020-05-18', 'StopDISyncInstance'> = async (_deps, ctx) => {
    // @ts-expect-error FileId is a number
    const id: string = ctx.params.FileId;
    return { id };
  };
  const optional = (p: ParamsOf<'2020-05-18', 'CreateProject'>) => {
    // @ts-expect-error ProjectDescription is optional: string | undefined
    const text: string = p.ProjectDescription;
    return text;
  };
  // @ts-expect-error a version's map must hold every operation of the spec
  const incomplete: ActionMap<'2024-05-18'> = { GetDIJob: async () => ({}) };
  // @ts-expect-error a misspelt operation name in a partial map
  const typo = { GetDIJobs: async () => ({}) } satisfies Partial<ActionMap<'2024-05-18'>>;
  void [misspelt, mistyped, optional, incomplete, typo];
});
