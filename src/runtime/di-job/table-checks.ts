/**
 * The checks of a job's transformation stage that need the databases (TransformPlan.checkTable,
 * src/engine/transform/transforming-sink.ts), before a table's first use:
 * - a PostgreSQL source must send whole old rows (REPLICA IDENTITY FULL) when the job's key or a
 *   Delete filter uses columns outside the source's primary key: the default identity sends the
 *   old primary key only, and a key change or a filtered delete could not be told apart;
 * - the target schema (MySQL: database) must exist, or be created when
 *   runtime.enable.auto.create.schema allows it.
 */
import type { DbEndpoint } from '../../engine/endpoint.ts';
import type { EngineKind } from '../../domain/jdbc-url.ts';
import { UnrecoverableError } from '../../engine/errors.ts';
import { quoteIdent as pgQuote } from '../../engine/postgres/connection.ts';
import { quoteIdent as myQuote } from '../../engine/mysql/connection.ts';
import type { TableName } from '../../engine/transform/target-naming.ts';
import { withDatabase } from './database-session.ts';

export interface TableCheckContext {
  source: { kind: EngineKind; endpoint: DbEndpoint };
  target: { kind: EngineKind; endpoint: DbEndpoint };
  autoCreateSchema: boolean;
}

export function createTableChecks(ctx: TableCheckContext) {
  const namespaces = new Set<string>();
  return async (t: { source: TableName; target: TableName; needsFullOldImage: string | null }): Promise<void> => {
    if (t.needsFullOldImage && ctx.source.kind === 'postgresql') {
      const rows = await withDatabase('postgresql', ctx.source.endpoint, (q) => q(
        `SELECT cl.relreplident AS r FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = $1 AND cl.relname = $2`,
        [t.source.schema, t.source.table]));
      if (rows[0]?.r !== 'f') {
        const name = `${pgQuote(t.source.schema)}.${pgQuote(t.source.table)}`;
        throw new UnrecoverableError(`source table ${t.source.schema}.${t.source.table}: ${t.needsFullOldImage}, so PostgreSQL must send whole old rows `
          + `with updates and deletes; run ALTER TABLE ${name} REPLICA IDENTITY FULL, then start the job again`);
      }
    }
    if (namespaces.has(t.target.schema)) return;
    await ensureNamespace(ctx, t.target.schema);
    namespaces.add(t.target.schema);
  };
}

async function ensureNamespace(ctx: TableCheckContext, schema: string): Promise<void> {
  const { kind, endpoint } = ctx.target;
  const word = kind === 'mysql' ? 'database' : 'schema';
  await withDatabase(kind, endpoint, async (q) => {
    const exists = kind === 'mysql'
      ? (await q(`SELECT 1 AS x FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, [schema])).length > 0
      : (await q(`SELECT 1 AS x FROM pg_namespace WHERE nspname = $1`, [schema])).length > 0;
    if (exists) return;
    if (!ctx.autoCreateSchema) {
      throw new UnrecoverableError(`the target ${word} ${schema} does not exist and runtime.enable.auto.create.schema is false; create it or allow the job to`);
    }
    await q(kind === 'mysql' ? `CREATE DATABASE IF NOT EXISTS ${myQuote(schema)} CHARACTER SET utf8mb4` : `CREATE SCHEMA IF NOT EXISTS ${pgQuote(schema)}`);
  });
}
