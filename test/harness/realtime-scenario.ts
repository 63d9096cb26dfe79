/**
 * Steps every API test repeats: a workspace, PostgreSQL and MySQL data sources, and a real-time task taken
 * through the 2020-05-18 lifecycle (Generate -> Query -> Create -> Deploy), plus polling helpers.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import type { DataWorksClient } from '../../src/client/dataworks-client.ts';
import type { PgInstance } from './postgres.ts';
import { freePort } from './private-server.ts';
import type { MariaDbInstance } from './mariadb.ts';

export async function call(client: DataWorksClient, action: string, params: Record<string, unknown>): Promise<any> {
  return (await client.call(action, params)).body;
}

export async function createWorkspace(client: DataWorksClient, identifier: string): Promise<number> {
  const body = await call(client, 'CreateProject', { ProjectName: identifier, ProjectIdentifier: identifier });
  return body.Data as number;
}

export async function addPostgresDataSource(client: DataWorksClient, projectId: number, name: string, pgi: PgInstance, database: string): Promise<number> {
  const body = await call(client, 'CreateDataSource', {
    ProjectId: projectId, Name: name, DataSourceType: 'postgresql', EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: pgi.jdbcUrl(database), username: 'postgres', password: 'unused-with-trust-auth', tag: 'public' }),
  });
  return body.Data as number;
}

export async function addMySqlDataSource(client: DataWorksClient, projectId: number, name: string, mdb: MariaDbInstance, database: string): Promise<number> {
  const body = await call(client, 'CreateDataSource', {
    ProjectId: projectId, Name: name, DataSourceType: 'mysql', EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: mdb.jdbcUrl(database), username: mdb.user, password: '', tag: 'public' }),
  });
  return body.Data as number;
}

/** A PostgreSQL data source at a local port nothing listens on: connectivity checks must fail, saying so. */
export async function addUnreachableDataSource(client: DataWorksClient, projectId: number, name: string, password: string): Promise<number> {
  const body = await call(client, 'CreateDataSource', {
    ProjectId: projectId, Name: name, DataSourceType: 'postgresql', EnvType: 1,
    Content: JSON.stringify({ jdbcUrl: `jdbc:postgresql://127.0.0.1:${await freePort()}/gone`, username: 'u', password }),
  });
  return body.Data as number;
}

export interface ScriptOptions {
  reader?: 'postgresql' | 'mysql';
  writer?: 'postgresql' | 'mysql';
  setting?: Record<string, unknown>;
  writerParameter?: Record<string, unknown>;
}

export function realtimeScript(source: string, target: string, tables: string[], o: ScriptOptions = {}): string {
  const reader = o.reader ?? 'postgresql';
  const writer = o.writer ?? 'postgresql';
  return JSON.stringify({
    type: 'realtime', version: '1.0', setting: o.setting ?? {},
    steps: [
      { stepType: reader, category: 'reader', name: 'Reader', parameter: { connection: [{ datasourceType: reader, datasource: source, table: tables }] } },
      { stepType: writer, category: 'writer', name: 'Writer', parameter: { datasource: target, ...o.writerParameter } },
    ],
  });
}

/** Generate -> poll Query -> Create -> Deploy; returns the FileId. */
export async function createDeployedTask(client: DataWorksClient, projectId: number, name: string, script: string): Promise<number> {
  const gen = await call(client, 'GenerateDISyncTaskConfigForCreating', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskParam: script });
  const processId = gen.Data.ProcessId;
  const result = await waitUntil(async () => {
    const q = await call(client, 'QueryDISyncTaskConfigProcessResult', { ProjectId: projectId, TaskType: 'DI_REALTIME', AsyncProcessId: processId });
    // A process still unfinished after Query's own wait answers fail "...still being generated; retry".
    return q.Data.Status === 'fail' && /still being generated/.test(q.Data.Message) ? undefined : q.Data;
  }, 20_000, 'config process');
  if (result.Status !== 'success') throw new Error(`config process failed: ${result.Message}`);
  const created = await call(client, 'CreateDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', TaskName: name, TaskContent: result.TaskContent });
  if (created.Data.Status !== 'success') throw new Error(`CreateDISyncTask: ${created.Data.Message}`);
  const fileId = created.Data.FileId as number;
  const deployed = await call(client, 'DeployDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId });
  if (deployed.Data.Status !== 'success') throw new Error(`DeployDISyncTask: ${deployed.Data.Message}`);
  return fileId;
}

export function taskCall(client: DataWorksClient, action: string, projectId: number, fileId: number, extra: Record<string, unknown> = {}) {
  return call(client, action, { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: fileId, ...extra });
}

export async function instanceInfo(client: DataWorksClient, projectId: number, fileId: number): Promise<any> {
  return (await taskCall(client, 'GetDISyncInstanceInfo', projectId, fileId)).Data;
}

export async function waitForStatus(client: DataWorksClient, projectId: number, fileId: number, statuses: string[], timeoutMs = 30_000): Promise<any> {
  return waitUntil(async () => {
    const info = await instanceInfo(client, projectId, fileId);
    return statuses.includes(info.Status) ? info : undefined;
  }, timeoutMs, `task ${fileId} to reach ${statuses.join('/')}`);
}

export async function waitUntil<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) { last = err; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A short-lived connection to one database of an instance. */
export async function withDb<T>(pgi: PgInstance, database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...pgi.connectionConfig(), database });
  await client.connect();
  try { return await fn(client); } finally { await client.end(); }
}

/** Every row of a table as text, ordered by its first column: equal digests mean equal tables. */
export async function tableRows(pgi: PgInstance, database: string, table: string): Promise<string[]> {
  return withDb(pgi, database, async (c) => (await c.query(`SELECT t::text AS r FROM ${table} t ORDER BY 1`)).rows.map((r) => r.r));
}

export async function waitForEqualTables(src: PgInstance, srcDb: string, dst: PgInstance, dstDb: string, table: string, timeoutMs = 30_000): Promise<string[]> {
  let a: string[] = [];
  let b: string[] = [];
  try {
    return await waitUntil(async () => {
      [a, b] = await Promise.all([tableRows(src, srcDb, table), tableRows(dst, dstDb, table)]);
      return a.length === b.length && a.every((r, i) => r === b[i]) ? a : undefined;
    }, timeoutMs, `${table} to match`);
  } catch (err) {
    throw new Error(`${(err as Error).message} (source ${a.length} rows, target ${b.length} rows)`);
  }
}

export async function replicationConnections(pgi: PgInstance): Promise<number> {
  return withDb(pgi, 'postgres', async (c) => Number((await c.query(`SELECT count(*) AS n FROM pg_stat_replication`)).rows[0].n));
}

/** Asserts that an API call fails with the given HTTP status and code, and that the message names `messagePart`. */
export async function expectApiError(p: Promise<unknown>, status: number, code: string, messagePart?: string): Promise<void> {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.statusCode, status, JSON.stringify(e.data));
    assert.equal(e.code, code);
    if (messagePart) assert.match(e.data.Message, new RegExp(messagePart));
    return true;
  });
}
