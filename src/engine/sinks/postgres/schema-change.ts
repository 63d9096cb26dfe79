/**
 * Applies a source schema change to the PostgreSQL target table (ddlMarkMap NORMAL). Every step
 * looks first, so a replay after a crash before the checkpoint commit finds it done; DDL is
 * transactional here, so it commits with the checkpoint. A new column gets the source's default
 * (column-default-plan.ts), so the target's existing rows end as the source's did.
 */
import type pg from 'pg';
import type { SchemaChange } from '../../change-event.ts';
import type { TableSchema } from '../../table-schema.ts';
import { qualifiedName, quoteIdent, quoteLiteral } from '../../postgres/connection.ts';
import { planDefault, refusedDefault } from '../column-default-plan.ts';
import type { DdlOutcome, TargetName } from '../sink-dialect.ts';
import { createTargetTable, runWithFallback, targetColumnType } from './target-table.ts';

export async function applyPgSchemaChange(
  c: pg.Client, change: SchemaChange, target: TargetName, renamed: TargetName | undefined, describe: () => Promise<TableSchema>,
): Promise<DdlOutcome> {
  const name = qualifiedName(target);
  const label = `${target.schema}.${target.table}`;
  const out: DdlOutcome = { statements: [], warnings: [], touched: [target] };
  const run = async (sql: string) => { await c.query(sql); out.statements.push(sql); };
  const exists = async (t: TargetName) => (await c.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [qualifiedName(t)])).rows[0].e as boolean;
  const hasColumn = async (col: string) => (await c.query(
    `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped`, [name, col])).rowCount === 1;
  const sourceColumn = async (col: string) => {
    const schema = await describe();
    const column = schema.columns.find((x) => x.name === col);
    // Gone again at the source by now: a later DROPCOLUMN follows; nothing to do.
    return column ? { schema, column } : undefined;
  };
  switch (change.type) {
    case 'CREATETABLE':
      if (!(await exists(target))) {
        const created = await createTargetTable(c, target, await describe(), true);
        out.statements.push(...created.statements);
        out.warnings.push(...created.warnings);
      }
      break;
    case 'DROPTABLE':
      if (await exists(target)) await run(`DROP TABLE IF EXISTS ${name}`);
      break;
    case 'TRUNCATETABLE':
      if (await exists(target)) await run(`TRUNCATE ${name}`);
      break;
    case 'RENAMETABLE':
      if (renamed && await exists(target) && !(await exists(renamed))) {
        await run(`ALTER TABLE ${name} RENAME TO ${quoteIdent(renamed.table)}`);
        if (renamed.schema !== target.schema) await run(`ALTER TABLE ${qualifiedName({ schema: target.schema, table: renamed.table })} SET SCHEMA ${quoteIdent(renamed.schema)}`);
        out.touched.push(renamed);
      }
      break;
    case 'ADDCOLUMN': {
      const found = change.column ? await sourceColumn(change.column) : undefined;
      if (!found || await hasColumn(found.column.name)) break;
      const column = quoteIdent(found.column.name);
      const add = `ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${column} ${targetColumnType(found.schema, found.column)}`;
      const plan = planDefault(label, found.column, true);
      if (plan.kind === 'declare' || plan.kind === 'backfill') {
        // The default fills the rows the table has, so NOT NULL holds as at the source.
        const primary = [`${add}${found.column.notNull ? ' NOT NULL' : ''} DEFAULT ${quoteLiteral(plan.value)}`];
        if (plan.kind === 'backfill') primary.push(`ALTER TABLE ${name} ALTER COLUMN ${column} DROP DEFAULT`);
        const { ran, refused } = await runWithFallback(c, true, primary, [add]);
        out.statements.push(...ran);
        if (refused) out.warnings.push(refusedDefault(label, found.column, refused));
      } else {
        await run(add);
        if (plan.kind === 'unreproducible') out.warnings.push(plan.warning);
      }
      break;
    }
    case 'DROPCOLUMN':
      if (change.column && await hasColumn(change.column)) await run(`ALTER TABLE ${name} DROP COLUMN IF EXISTS ${quoteIdent(change.column)}`);
      break;
    case 'RENAMECOLUMN':
      if (change.column && change.newColumn && await hasColumn(change.column) && !(await hasColumn(change.newColumn))) {
        await run(`ALTER TABLE ${name} RENAME COLUMN ${quoteIdent(change.column)} TO ${quoteIdent(change.newColumn)}`);
      }
      break;
    case 'MODIFYCOLUMN': {
      const col = change.newColumn ?? change.column;
      const found = col ? await sourceColumn(col) : undefined;
      if (found && await hasColumn(found.column.name)) {
        const type = targetColumnType(found.schema, found.column);
        const current = (await c.query(
          `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2`, [name, found.column.name])).rows[0].t;
        if (current !== type) await run(`ALTER TABLE ${name} ALTER COLUMN ${quoteIdent(found.column.name)} TYPE ${type} USING ${quoteIdent(found.column.name)}::text::${type}`);
      }
      break;
    }
  }
  return out;
}
