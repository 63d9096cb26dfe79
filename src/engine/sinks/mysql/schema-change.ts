/**
 * Source schema changes applied to the MySQL/MariaDB target, idempotently (a replay after a crash
 * finds them done and does nothing): every step first looks at information_schema. MySQL DDL
 * commits implicitly, so this runs outside the sink's open transaction. A new column gets the
 * source's default (column-default-plan.ts); MySQL itself fills a NOT NULL column's implicit value
 * as a MySQL source did.
 */
import type { SchemaChange } from '../../change-event.ts';
import type { TableSchema } from '../../table-schema.ts';
import { UnrecoverableError } from '../../errors.ts';
import { planDefault, refusedDefault, type DefaultPlan } from '../column-default-plan.ts';
import type { DdlOutcome, TargetName } from '../sink-dialect.ts';
import { columnDefinition } from './column-types.ts';
import type { MySqlSession } from './session.ts';
import { createTable, databaseExists, introspect } from './target-table.ts';
import { isDataError, qualified, quoteId } from './sql.ts';

/** ER_INVALID_DEFAULT and the data errors: the target refused a default value. */
const refusesDefault = (err: unknown) => (err as { errno?: number }).errno === 1067 || isDataError(err);

export async function applyMySqlSchemaChange(
  s: MySqlSession, change: SchemaChange, t: TargetName, renamed: TargetName | undefined, describe: () => Promise<TableSchema>,
): Promise<DdlOutcome> {
  const c = s.conn;
  const name = qualified(t.schema, t.table);
  const label = `${t.schema}.${t.table}`;
  const out: DdlOutcome = { statements: [], warnings: [], touched: [t] };
  const run = async (sql: string) => { await c.query(sql); out.statements.push(sql); };
  const found = await introspect(c, t);
  const has = (col: string) => !!found?.columns.has(col.toLowerCase());
  const stored = (col: string) => quoteId(found!.columns.get(col.toLowerCase())!.name);
  const sourceColumn = async (col: string) => {
    const schema = await describe();
    const column = schema.columns.find((x) => x.name.toLowerCase() === col.toLowerCase());
    // Gone again at the source by now (a replay, or a later DROPCOLUMN follows): nothing to do.
    return column ? { schema, column } : null;
  };
  const needColumn = (): string => {
    if (!change.column) throw new UnrecoverableError(`${change.type} of ${change.schema}.${change.table} names no column`);
    return change.column;
  };

  switch (change.type) {
    case 'CREATETABLE': {
      if (found) break;
      if (!(await databaseExists(c, t.schema))) throw new UnrecoverableError(`target database ${t.schema} does not exist; create it or choose another target database`);
      const created = await createTable(run, t, await describe());
      out.warnings.push(...created.warnings);
      break;
    }
    case 'DROPTABLE':
      if (found) await run(`DROP TABLE IF EXISTS ${name}`);
      break;
    case 'RENAMETABLE': {
      if (!renamed) throw new UnrecoverableError(`RENAMETABLE of ${change.schema}.${change.table} names no new table`);
      if (found && !(await introspect(c, renamed))) await run(`RENAME TABLE ${name} TO ${qualified(renamed.schema, renamed.table)}`);
      out.touched.push(renamed);
      break;
    }
    case 'TRUNCATETABLE':
      if (found) await run(`TRUNCATE TABLE ${name}`);
      break;
    case 'ADDCOLUMN': {
      const col = needColumn();
      // No target table yet: it is created from the source's current columns when rows come.
      if (!found || has(col)) break;
      const src = await sourceColumn(col);
      if (!src) break;
      let plan: DefaultPlan = planDefault(label, src.column, true);
      // A MySQL source's implicit values are what MySQL fills here too (same type, NOT NULL copied).
      const d = src.column.default;
      if (d && d.kind !== 'generated' && d.implicit && src.schema.dialect === 'mysql') plan = { kind: 'none' };
      const value = plan.kind === 'declare' || plan.kind === 'backfill' ? plan.value : null;
      const add = (v: string | null) => `ALTER TABLE ${name} ADD COLUMN ${columnDefinition(src.column, src.schema.dialect, v)}`;
      if (plan.kind === 'unreproducible') out.warnings.push(plan.warning);
      try {
        await run(add(value));
      } catch (err) {
        if (value === null || add(value) === add(null) || !refusesDefault(err)) throw err;
        await run(add(null));
        out.warnings.push(refusedDefault(label, src.column, err));
        break;
      }
      if (plan.kind === 'backfill') await run(`ALTER TABLE ${name} ALTER COLUMN ${quoteId(src.column.name)} DROP DEFAULT`);
      break;
    }
    case 'DROPCOLUMN': {
      const col = needColumn();
      if (has(col)) await run(`ALTER TABLE ${name} DROP COLUMN ${stored(col)}`);
      break;
    }
    case 'RENAMECOLUMN': {
      const col = needColumn();
      if (!change.newColumn) throw new UnrecoverableError(`RENAMECOLUMN of ${change.schema}.${change.table} names no new column`);
      if (has(col) && !has(change.newColumn)) await run(`ALTER TABLE ${name} RENAME COLUMN ${stored(col)} TO ${quoteId(change.newColumn)}`);
      break;
    }
    case 'MODIFYCOLUMN': {
      const col = change.newColumn ?? needColumn();
      if (!found) break;
      const src = await sourceColumn(col);
      if (!src) break;
      const plan = planDefault(label, src.column, false);
      await run(`ALTER TABLE ${name} ${has(col) ? 'MODIFY' : 'ADD'} COLUMN ${columnDefinition(src.column, src.schema.dialect, plan.kind === 'declare' ? plan.value : null)}`);
      break;
    }
  }
  return out;
}
