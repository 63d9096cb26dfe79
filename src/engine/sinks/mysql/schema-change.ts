/**
 * Source schema changes applied to the MySQL/MariaDB target, idempotently (a replay after a crash
 * finds them done and does nothing): every step first looks at information_schema. MySQL DDL
 * commits implicitly, so this runs outside the sink's open transaction. Resolves to the target
 * tables touched (their prepared info must be re-read).
 */
import type { Connection } from 'mysql2/promise';
import type { Logger } from '../../../logger.ts';
import type { SchemaChange } from '../../change-event.ts';
import type { TableSchema } from '../../table-schema.ts';
import { UnrecoverableError } from '../../errors.ts';
import { columnDefinition } from './column-types.ts';
import { createTableSql, databaseExists, introspect, type TargetName } from './target-table.ts';
import { qualified, quoteId } from './sql.ts';

export async function applyMySqlSchemaChange(
  c: Connection, change: SchemaChange, targetDb: (sourceSchema: string) => string,
  describe: () => Promise<TableSchema>, logger: Logger,
): Promise<TargetName[]> {
  const t: TargetName = { db: targetDb(change.schema), table: change.table };
  const name = qualified(t.db, t.table);
  const label = `${t.db}.${t.table}`;
  const found = await introspect(c, t);
  const has = (col: string) => !!found?.columns.has(col.toLowerCase());
  const sourceColumn = async (col: string) => {
    const schema = await describe();
    const column = schema.columns.find((x) => x.name.toLowerCase() === col.toLowerCase());
    // Gone again at the source by now (a replay, or a later DROPCOLUMN follows): nothing to do.
    return column ? columnDefinition(column, schema.dialect) : null;
  };
  const needColumn = (): string => {
    if (!change.column) throw new UnrecoverableError(`${change.type} of ${change.schema}.${change.table} names no column`);
    return change.column;
  };
  const done = (what: string) => logger.info('applied a schema change to the target', { table: label, type: change.type, change: what });

  switch (change.type) {
    case 'CREATETABLE': {
      if (found) return [t];
      if (!(await databaseExists(c, t.db))) throw new UnrecoverableError(`target database ${t.db} does not exist`);
      await c.query(createTableSql(t, await describe()));
      done('created');
      return [t];
    }
    case 'DROPTABLE':
      if (found) { await c.query(`DROP TABLE IF EXISTS ${name}`); done('dropped'); }
      return [t];
    case 'RENAMETABLE': {
      if (!change.newTable) throw new UnrecoverableError(`RENAMETABLE of ${change.schema}.${change.table} names no new table`);
      const to: TargetName = { db: targetDb(change.newTable.schema), table: change.newTable.table };
      if (found && !(await introspect(c, to))) {
        await c.query(`RENAME TABLE ${name} TO ${qualified(to.db, to.table)}`);
        done(`renamed to ${to.db}.${to.table}`);
      }
      return [t, to];
    }
    case 'TRUNCATETABLE':
      if (found) { await c.query(`TRUNCATE TABLE ${name}`); done('truncated'); }
      return [t];
    case 'ADDCOLUMN': {
      const col = needColumn();
      // No target table yet: it is created from the source's current columns when rows come.
      if (!found || has(col)) return [t];
      const def = await sourceColumn(col);
      if (def) { await c.query(`ALTER TABLE ${name} ADD COLUMN ${def}`); done(`added ${col}`); }
      return [t];
    }
    case 'DROPCOLUMN': {
      const col = needColumn();
      if (has(col)) { await c.query(`ALTER TABLE ${name} DROP COLUMN ${quoteId(found!.columns.get(col.toLowerCase())!.name)}`); done(`dropped ${col}`); }
      return [t];
    }
    case 'RENAMECOLUMN': {
      const col = needColumn();
      if (!change.newColumn) throw new UnrecoverableError(`RENAMECOLUMN of ${change.schema}.${change.table} names no new column`);
      if (has(col) && !has(change.newColumn)) {
        await c.query(`ALTER TABLE ${name} RENAME COLUMN ${quoteId(found!.columns.get(col.toLowerCase())!.name)} TO ${quoteId(change.newColumn)}`);
        done(`renamed ${col} to ${change.newColumn}`);
      }
      return [t];
    }
    case 'MODIFYCOLUMN': {
      const col = change.newColumn ?? needColumn();
      if (!found) return [t];
      const def = await sourceColumn(col);
      if (def) {
        await c.query(`ALTER TABLE ${name} ${has(col) ? 'MODIFY' : 'ADD'} COLUMN ${def}`);
        done(`modified ${col}`);
      }
      return [t];
    }
  }
}
