/**
 * 2024-05-18 calls the DI job tests repeat, through the SDK's placement (src/client/dataworks-client.ts):
 * data sources in UrlMode, job lifecycle, waits, and the check of every response field's JSON type
 * against spec/dataworks-openapi.json (the SDK models' types; the SDK throws on a mismatch).
 */
import assert from 'node:assert/strict';
import type { DataWorksClient } from '../../src/client/dataworks-client.ts';
import { loadOperationSpec } from '../../src/client/operation-catalog.ts';
import { waitUntil } from './realtime-scenario.ts';

export const V2024 = '2024-05-18';

export async function call24(client: DataWorksClient, action: string, params: Record<string, unknown>): Promise<any> {
  const body = (await client.call(action, params, V2024)).body;
  const brief = action === 'GetDIJob' && params.WithDetails === false;
  assertResponseTypes(action, body, brief ? ['PagingInfo.JobSettings', 'PagingInfo.TableMappings', 'PagingInfo.TransformationRules'] : []);
  return body;
}

export async function addDataSource24(client: DataWorksClient, projectId: number, name: string, type: string,
  address: { host: string; port: number }, database: string, user: string, envType: 'Dev' | 'Prod' = 'Prod'): Promise<number> {
  // The private MariaDB's root has an empty password; PostgreSQL trusts local connections.
  const body = await call24(client, 'CreateDataSource', {
    ProjectId: projectId, Name: name, Type: type, ConnectionPropertiesMode: 'UrlMode',
    ConnectionProperties: JSON.stringify({ envType, address: [address], database, username: user, password: type === 'postgresql' ? 'unused-with-trust' : '' }),
  });
  return body.Id as number;
}

export async function jobStatus(client: DataWorksClient, id: number): Promise<string> {
  return (await call24(client, 'GetDIJob', { Id: id, WithDetails: false })).PagingInfo.JobStatus;
}

export async function waitJobStatus(client: DataWorksClient, id: number, status: string, timeoutMs = 30_000): Promise<void> {
  let last = '';
  await waitUntil(async () => (last = await jobStatus(client, id)) === status || undefined, timeoutMs, `job ${id} to be ${status} (is ${last})`);
}

export async function runDetails(client: DataWorksClient, id: number): Promise<Record<string, any>> {
  const body = await call24(client, 'ListDIJobRunDetails', { DIJobId: id, PageSize: 100 });
  return Object.fromEntries(body.PagingInfo.JobRunInfos.map((r: any) => [`${r.SourceSchemaName || r.SourceDatabaseName}.${r.SourceTableName}`, r]));
}

type FieldSpec = { type: string; fields?: Record<string, FieldSpec> };

/**
 * Fields a job may have no value for (what the caller left out of an optional setting), by path
 * prefix with list indexes removed; everything else the model names must be present.
 */
const MAY_BE_ABSENT = [
  'PagingInfo.JobSettings.ChannelSettings', 'PagingInfo.JobSettings.CycleScheduleSettings.', 'PagingInfo.ResourceSettings.',
  'PagingInfo.SourceDataSourceSettings.DataSourceProperties.',
];

/**
 * Every field the operation's response spec names must be there with its JSON type (strings that
 * hold JSON stay strings; `any` may be an object); nested lists are checked item by item.
 * `absent`: further path prefixes this call may leave out (GetDIJob WithDetails=false).
 */
export function assertResponseTypes(action: string, body: Record<string, unknown>, absent: string[] = []): void {
  const op = loadOperationSpec(action, V2024) as unknown as { response?: Record<string, FieldSpec> };
  if (!op.response) return;
  const check = (spec: Record<string, FieldSpec>, value: Record<string, unknown>, path: string) => {
    for (const [name, f] of Object.entries(spec)) {
      const at = path ? `${path}.${name}` : name;
      const v = value[name];
      if (v === undefined) {
        const bare = at.replace(/\[\d+\]/g, '');
        if ([...MAY_BE_ABSENT, ...absent].some((prefix) => bare === prefix || bare.startsWith(prefix))) continue;
        assert.fail(`${action}: ${at} is missing`);
      }
      switch (f.type) {
        case 'string': assert.equal(typeof v, 'string', `${action}: ${at} must be a string, got ${JSON.stringify(v)}`); break;
        case 'number': assert.equal(typeof v, 'number', `${action}: ${at} must be a number, got ${JSON.stringify(v)}`); break;
        case 'boolean': assert.equal(typeof v, 'boolean', `${action}: ${at} must be a boolean, got ${JSON.stringify(v)}`); break;
        case 'any': break;
        case 'array':
          assert.ok(Array.isArray(v), `${action}: ${at} must be a list, got ${JSON.stringify(v)}`);
          if (f.fields) (v as Record<string, unknown>[]).forEach((item, i) => check(f.fields!, item, `${at}[${i}]`));
          break;
        case 'object':
          assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${action}: ${at} must be an object, got ${JSON.stringify(v)}`);
          if (f.fields) check(f.fields, v as Record<string, unknown>, at);
          break;
        default: assert.fail(`${action}: ${at} has spec type ${f.type}`);
      }
    }
  };
  check(op.response, body, '');
}
