/**
 * Applies a source schema change to the PostgreSQL target table (ddlMarkMap NORMAL). Every
 * statement is idempotent, since a crash before the checkpoint commit replays the change; DDL is
 * transactional here, so it commits with the checkpoint. New columns are added nullable: the
 * target's existing rows have no value for them.
 */
import type pg from 'pg';
import type { Logger } from '../../../logger.ts';
import type { SchemaChange } from '../../change-event.ts';
import type { TableSchema } from '../../table-schema.ts';
import { qualifiedName, quoteIdent } from '../../postgres/connection.ts';
import { createTargetTable, targetColumnType } from './target-table.ts';

type Name = { schema: string; table: string };

export async function applyPgSchemaChange(
  c: pg.Client, change: SchemaChange, target: Name, renamed: Name | undefined, describe: () => Promise<TableSchema>, logger: Logger,
): Promise<void> {
  const name = qualifiedName(target);
  const label = `${target.schema}.${target.table}`;
  const exists = async (t: Name) => (await c.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [qualifiedName(t)])).rows[0].e as boolean;
  const hasColumn = async (col: string) => (await c.query(
    `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped`, [name, col])).rowCount === 1;
  const sourceColumn = async (col: string) => {
    const schema = await describe();
    const column = schema.columns.find((x) => x.name === col);
    return column ? { schema, column } : undefined;
  };
  switch (change.type) {
    case 'CREATETABLE':
      if (!(await exists(target))) await createTargetTable(c, target, await describe(), label);
      break;
    case 'DROPTABLE':
      await c.query(`DROP TABLE IF EXISTS ${name}`);
      break;
    case 'TRUNCATETABLE':
      if (await exists(target)) await c.query(`TRUNCATE ${name}`);
      break;
    case 'RENAMETABLE':
      if (renamed && await exists(target) && !(await exists(renamed))) {
        await c.query(`ALTER TABLE ${name} RENAME TO ${quoteIdent(renamed.table)}`);
        if (renamed.schema !== target.schema) await c.query(`ALTER TABLE ${qualifiedName({ schema: target.schema, table: renamed.table })} SET SCHEMA ${quoteIdent(renamed.schema)}`);
      }
      break;
    case 'ADDCOLUMN': {
      const found = change.column ? await sourceColumn(change.column) : undefined;
      // Gone again at the source by now: a later DROPCOLUMN follows; nothing to add.
      if (found) await c.query(`ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${quoteIdent(found.column.name)} ${targetColumnType(found.schema, found.column)}`);
      break;
    }
    case 'DROPCOLUMN':
      if (change.column) await c.query(`ALTER TABLE ${name} DROP COLUMN IF EXISTS ${quoteIdent(change.column)}`);
      break;
    case 'RENAMECOLUMN':
      if (change.column && change.newColumn && await hasColumn(change.column) && !(await hasColumn(change.newColumn))) {
        await c.query(`ALTER TABLE ${name} RENAME COLUMN ${quoteIdent(change.column)} TO ${quoteIdent(change.newColumn)}`);
      }
      break;
    case 'MODIFYCOLUMN': {
      const col = change.newColumn ?? change.column;
      const found = col ? await sourceColumn(col) : undefined;
      if (found && await hasColumn(found.column.name)) {
        const type = targetColumnType(found.schema, found.column);
        await c.query(`ALTER TABLE ${name} ALTER COLUMN ${quoteIdent(found.column.name)} TYPE ${type} USING ${quoteIdent(found.column.name)}::text::${type}`);
      }
      break;
    }
  }
  logger.info('applied schema change to the target', { type: change.type, table: label, column: change.column });
}
