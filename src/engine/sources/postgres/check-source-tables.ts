/**
 * Source tables must exist and be keyed: the sink applies changes by primary key, and updates
 * and deletes must carry the old primary key (REPLICA IDENTITY DEFAULT, FULL, or USING the
 * primary key's index; PostgreSQL docs, ALTER TABLE ... REPLICA IDENTITY).
 */
import type pg from 'pg';
import { UnrecoverableError } from '../../errors.ts';

/** Fails with every problem found, one sentence each. */
export async function checkSourceTables(c: pg.Client, tables: { schema: string; table: string }[]): Promise<void> {
  const problems = await findSourceTableProblems(c, tables);
  if (problems.length > 0) throw new UnrecoverableError(problems.join('; '));
}

/** One sentence per unusable table; empty when every table can be synced. */
export async function findSourceTableProblems(c: pg.Client, tables: { schema: string; table: string }[]): Promise<string[]> {
  const problems: string[] = [];
  for (const t of tables) {
    const name = `${t.schema}.${t.table}`;
    const r = (await c.query(
      `SELECT cl.relkind, cl.relreplident,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary) AS has_pk,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary AND i.indisreplident) AS pk_is_identity
         FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE n.nspname = $1 AND cl.relname = $2`, [t.schema, t.table])).rows[0];
    if (!r) problems.push(`source table ${name} does not exist`);
    else if (r.relkind !== 'r' && r.relkind !== 'p') problems.push(`source ${name} is not a table (relkind ${r.relkind})`);
    else if (!r.has_pk) {
      problems.push(`source table ${name} has no primary key; real-time sync applies changes by primary key, so add one or leave the table out of the task`);
    } else if (r.relkind === 'r' && (r.relreplident === 'n' || (r.relreplident === 'i' && !r.pk_is_identity))) {
      problems.push(`source table ${name} has REPLICA IDENTITY ${r.relreplident === 'n' ? 'NOTHING' : 'USING INDEX of a non-primary-key index'}, `
        + `so its updates and deletes do not carry the primary key; run ALTER TABLE ${name} REPLICA IDENTITY DEFAULT`);
    }
  }
  return problems;
}
