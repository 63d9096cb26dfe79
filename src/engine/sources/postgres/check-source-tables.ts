/**
 * What a PostgreSQL source must offer before a task can stream from it, checked up front (by the
 * config process and at every start) so that a missing privilege fails at once with its fix,
 * never as a retry loop (docs/privileges.md):
 * - tables exist and are keyed: the sink applies changes by primary key, and updates and deletes
 *   must carry the old primary key (REPLICA IDENTITY DEFAULT, FULL, or USING the primary key's
 *   index; PostgreSQL docs, ALTER TABLE ... REPLICA IDENTITY);
 * - the user may stream (REPLICATION attribute) and read the tables when the task copies them;
 * - the publication: either the task creates its own, which PostgreSQL allows only to a user with
 *   CREATE on the database who owns every table (docs, CREATE PUBLICATION), or a DBA created one
 *   (reader parameter "publication", as Debezium's publication.autocreate.mode=disabled) that
 *   must exist, cover every table, publish insert, update, delete and truncate, and publish
 *   partitioned tables under their own name.
 */
import type pg from 'pg';
import { UnrecoverableError } from '../../errors.ts';
import { sqlName, sqlTableName } from './sql-name.ts';

export interface SourceCheckOptions {
  /** A publication created by the DBA; absent: the task creates and owns its own. */
  publication?: string;
  /** The task copies the tables' rows first, which needs SELECT on them. */
  initialLoad?: boolean;
}

type Table = { schema: string; table: string };

/** Fails with every problem found, one sentence each. */
export async function checkSourceTables(c: pg.Client, tables: Table[], opts: SourceCheckOptions = {}): Promise<void> {
  const problems = await findSourceTableProblems(c, tables, opts);
  if (problems.length > 0) throw new UnrecoverableError(problems.join('; '));
}

/** One sentence per problem; empty when the tables can be synced. */
export async function findSourceTableProblems(c: pg.Client, tables: Table[], opts: SourceCheckOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  const role = (await c.query(
    `SELECT current_user AS usr, current_database() AS db, r.rolsuper AS super, r.rolreplication AS replication,
            has_database_privilege(current_database(), 'CREATE') AS can_create
       FROM pg_roles r WHERE r.rolname = current_user`)).rows[0];
  const user = sqlName(role.usr);
  const ddlAdvice = `or have the tables' owner create a publication (CREATE PUBLICATION <name> FOR TABLE ${tables.map(sqlTableName).join(', ')}) `
    + `and name it in the reader's parameter "publication"`;
  if (!role.super && !role.replication) {
    problems.push(`user ${role.usr} may not stream changes: run ALTER ROLE ${user} REPLICATION as a superuser (on a managed service, grant its replication role)`);
  }
  if (!opts.publication && !role.super && !role.can_create) {
    problems.push(`user ${role.usr} may not create the task's publication: run GRANT CREATE ON DATABASE ${sqlName(role.db)} TO ${user}, ${ddlAdvice}`);
  }
  const pub = opts.publication ? await publicationProblems(c, opts.publication, tables, problems) : null;
  for (const t of tables) {
    const name = `${t.schema}.${t.table}`;
    const r = (await c.query(
      `SELECT cl.relkind, cl.relreplident, pg_has_role(cl.relowner, 'USAGE') AS owns, has_table_privilege(cl.oid, 'SELECT') AS can_select,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary) AS has_pk,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary AND i.indisreplident) AS pk_is_identity
         FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE n.nspname = $1 AND cl.relname = $2`, [t.schema, t.table])).rows[0];
    if (!r) { problems.push(`source table ${name} does not exist`); continue; }
    if (r.relkind !== 'r' && r.relkind !== 'p') { problems.push(`source ${name} is not a table (relkind ${r.relkind})`); continue; }
    if (!r.has_pk) {
      problems.push(`source table ${name} has no primary key; real-time sync applies changes by primary key, so add one or leave the table out of the task`);
    } else if (r.relkind === 'r' && (r.relreplident === 'n' || (r.relreplident === 'i' && !r.pk_is_identity))) {
      problems.push(`source table ${name} has REPLICA IDENTITY ${r.relreplident === 'n' ? 'NOTHING' : 'USING INDEX of a non-primary-key index'}, `
        + `so its updates and deletes do not carry the primary key; run ALTER TABLE ${sqlTableName(t)} REPLICA IDENTITY DEFAULT`);
    }
    if (!opts.publication && !role.super && !r.owns) {
      problems.push(`user ${role.usr} does not own source table ${name}, and only a table's owner may add it to a publication: `
        + `run ALTER TABLE ${sqlTableName(t)} OWNER TO ${user}, ${ddlAdvice}`);
    }
    if (opts.initialLoad && !r.can_select) problems.push(`user ${role.usr} may not read source table ${name} for the initial load: run GRANT SELECT ON ${sqlTableName(t)} TO ${user}`);
    if (pub && !pub.covered.has(name)) {
      problems.push(r.relkind === 'p' && !pub.viaRoot
        ? `publication ${opts.publication} publishes the partitions of ${name}, not the table: run ALTER PUBLICATION ${sqlName(opts.publication!)} SET (publish_via_partition_root = true)`
        : `publication ${opts.publication} does not cover source table ${name}: run ALTER PUBLICATION ${sqlName(opts.publication!)} ADD TABLE ${sqlTableName(t)}`);
    }
  }
  return problems;
}

/** The DBA's publication: pushes its problems; the tables it covers (null when it does not exist). */
async function publicationProblems(c: pg.Client, name: string, tables: Table[], problems: string[]): Promise<{ covered: Set<string>; viaRoot: boolean } | null> {
  const p = (await c.query(
    `SELECT pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot FROM pg_publication WHERE pubname = $1`, [name])).rows[0];
  if (!p) {
    problems.push(`publication ${name} does not exist: have the tables' owner run CREATE PUBLICATION ${sqlName(name)} FOR TABLE ${tables.map(sqlTableName).join(', ')} `
      + 'WITH (publish_via_partition_root = true)');
    return null;
  }
  const missing = (['insert', 'update', 'delete', 'truncate'] as const).filter((op) => !p[`pub${op}`]);
  if (missing.length > 0) {
    problems.push(`publication ${name} does not publish ${missing.join(', ')}, so the target would miss those changes: `
      + `run ALTER PUBLICATION ${sqlName(name)} SET (publish = 'insert, update, delete, truncate')`);
  }
  const rows = (await c.query(`SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1`, [name])).rows;
  return { covered: new Set(rows.map((r) => `${r.schemaname}.${r.tablename}`)), viaRoot: p.pubviaroot };
}
