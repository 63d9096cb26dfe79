/**
 * One source table's transformation, compiled against its columns when the pipeline first meets
 * the table (README, "The 2024-05-18 DI Job API"): the target relation (renamed; source columns,
 * added columns, the logical-delete marker; the job's primary key) and the mapping of each row
 * change onto it under HandleDml and DefineIncrementalCondition.
 *
 * Row filter (DefineIncrementalCondition): the target holds exactly the source rows that satisfy
 * it. An insert or a full-load row that fails it is dropped; an update whose new row fails it
 * becomes a delete of the row at the target; deletes always pass (deleting an absent row is a
 * no-op). HandleDml then decides per change type: Normal, Ignore, Filter (applied only when its
 * condition holds: inserts and updates test the new row, deletes the old row) or, for deletes,
 * LogicalDelete (the row stays, its marker column becomes true).
 *
 * A condition that depends on a value the source did not send (PostgreSQL's unchanged TOAST
 * values) cannot be decided: the change is applied; sent as a partial update, it only touches a
 * row the target already has.
 */
import { UNCHANGED, type ColumnValue, type RelationInfo, type RowChange } from '../change-event.ts';
import type { LogicalType, TableSchema } from '../table-schema.ts';
import { UnrecoverableError } from '../errors.ts';
import { bindCondition, ConditionBindError, type BoundCondition } from './bind-condition.ts';
import { conditionColumns, type Condition } from './condition-syntax.ts';
import { createdTableShape, type ExtraColumn, type TypeOverride } from './created-table-shape.ts';
import { LOGICAL_DELETE_COLUMN, type AddedColumn, type TableRules } from './table-rules.ts';
import { targetNameOf, type NamingContext, type TableName } from './target-naming.ts';

export interface TableTransform {
  source: TableName;
  target: TableName;
  /** What the sink prepares and receives. */
  relation: RelationInfo;
  /** Target key columns the source's old row image must carry for updates and deletes (PostgreSQL: REPLICA IDENTITY FULL), with why; null when the source key covers them. */
  needsFullOldImage: string | null;
  /** A full-load row; null when the row filter drops it. */
  loadRow(values: ColumnValue[]): ColumnValue[] | null;
  /** A streamed change; null when the rules drop it. */
  change(ch: RowChange): RowChange | null;
  /** The created-table shape from the source's current columns. */
  describe(source: TableSchema): TableSchema;
}

export interface TransformContext { naming: NamingContext; typeOverrides: readonly TypeOverride[]; now?: () => Date }

const TEXT_NAME: LogicalType = { kind: 'text', length: 255, fixed: false };

/** Compiles the rules for one relation; UnrecoverableError names the rule and table when they do not fit. */
export function compileTableTransform(relation: RelationInfo, schema: TableSchema, rules: TableRules, ctx: TransformContext): TableTransform {
  const source = { schema: relation.schema, table: relation.table };
  const label = `${source.schema}.${source.table}`;
  const target = targetNameOf(source, rules, ctx.naming);
  const srcNames = relation.columns.map((c) => c.name);
  const logicalOf = new Map(schema.columns.map((c) => [c.name, c.logical]));
  const fail = (why: string) => new UnrecoverableError(`source table ${label}: ${why}`);

  for (const col of rules.addColumns) {
    if (srcNames.some((n) => n.toLowerCase() === col.name.toLowerCase())) throw fail(`AddColumn adds column ${col.name}, which the table already has`);
  }
  const logicalDelete = rules.dml.Delete.action === 'LogicalDelete';
  if (logicalDelete && srcNames.some((n) => n.toLowerCase() === LOGICAL_DELETE_COLUMN)) {
    throw fail(`HandleDml LogicalDelete marks deleted rows in column ${LOGICAL_DELETE_COLUMN}, which the table already has`);
  }
  const extra: ExtraColumn[] = rules.addColumns.map((c) => ({ name: c.name, logical: addedLogical(c), notNull: false }));
  if (logicalDelete) extra.push({ name: LOGICAL_DELETE_COLUMN, logical: { kind: 'boolean' }, notNull: false });
  const targetNames = [...srcNames, ...extra.map((e) => e.name)];

  const sourceKey = schema.columns.filter((c) => c.isKey).map((c) => c.name);
  const key = rules.primaryKey ?? sourceKey;
  for (const k of key) {
    if (!targetNames.includes(k)) throw fail(`DefinePrimaryKey names column ${k}, which the table does not have (columns: ${targetNames.join(', ')})`);
    const added = rules.addColumns.find((c) => c.name === k);
    if (added && 'variable' in added.value && added.value.variable === 'EXECUTE_TIME') {
      throw fail(`DefinePrimaryKey uses column ${k}, whose value (EXECUTE_TIME) differs on every change, so rows could never be found again`);
    }
  }
  const keyIdx = key.map((k) => targetNames.indexOf(k));

  const bind = ({ condition, text }: { condition: Condition; text: string }, what: string): BoundCondition => {
    try {
      return bindCondition(condition, srcNames.map((name) => ({ name, logical: logicalOf.get(name) ?? { kind: 'other' } })));
    } catch (err) {
      if (err instanceof ConditionBindError) throw fail(`${what} ${JSON.stringify(text)} ${err.message}`);
      throw err;
    }
  };
  const rowFilter = rules.rowFilter ? bind(rules.rowFilter, 'DefineIncrementalCondition') : null;
  const filters = {
    Insert: rules.dml.Insert.action === 'Filter' ? bind(rules.dml.Insert, 'HandleDml Insert filterCondition') : null,
    Update: rules.dml.Update.action === 'Filter' ? bind(rules.dml.Update, 'HandleDml Update filterCondition') : null,
    Delete: rules.dml.Delete.action === 'Filter' ? bind(rules.dml.Delete, 'HandleDml Delete filterCondition') : null,
  };

  // Which old-row columns the source sends: MySQL full row images always; PostgreSQL the replica
  // identity (its relation flags exactly those columns: every column under REPLICA IDENTITY FULL).
  const sentInOld = (i: number) => ctx.naming.sourceProtocol === 'mysql' || relation.columns[i].isKey;
  const oldNeeds = new Set<string>(key.filter((k) => srcNames.includes(k) && !sourceKey.includes(k)));
  const deleteFilter = rules.dml.Delete.action === 'Filter' ? rules.dml.Delete : null;
  if (deleteFilter) for (const c of conditionColumns(deleteFilter.condition)) if (!sourceKey.includes(c)) oldNeeds.add(c);
  const needsFullOldImage = ctx.naming.sourceProtocol === 'postgresql' && oldNeeds.size > 0
    ? `column(s) ${[...oldNeeds].join(', ')} (${rules.primaryKey ? 'DefinePrimaryKey' : ''}${rules.primaryKey && deleteFilter ? ', ' : ''}${deleteFilter ? 'HandleDml Delete filterCondition' : ''}) are not part of the source's primary key`
    : null;

  const targetRelation: RelationInfo = {
    id: relation.id, schema: target.schema, table: target.table,
    columns: targetNames.map((name) => ({ name, isKey: key.includes(name) })),
  };
  const fixed = rules.addColumns.map((c) => addedValue(c, source, target, ctx));
  const timeAt = rules.addColumns.flatMap((c, i) => ('variable' in c.value && c.value.variable === 'EXECUTE_TIME' ? [i] : []));
  const withExtra = (values: ColumnValue[], deleted: boolean | null): ColumnValue[] => {
    const out = values.concat(fixed);
    if (timeAt.length > 0) { const now = timestampText(ctx.now?.() ?? new Date()); for (const i of timeAt) out[values.length + i] = now; }
    if (logicalDelete) out.push(deleted === null ? null : deleted ? 't' : 'f');
    return out;
  };
  const requireOldKey = (old: ColumnValue[], op: string) => {
    for (const i of keyIdx) {
      if (i < srcNames.length && (!sentInOld(i) || old[i] === UNCHANGED)) {
        throw fail(`an ${op} arrived without the value of key column ${srcNames[i]} in the old row; `
          + `the job's key is not the source's primary key, so the source must send whole old rows (ALTER TABLE ${label} REPLICA IDENTITY FULL)`);
      }
    }
  };

  const passes = (f: BoundCondition | null, row: ColumnValue[]) => {
    if (!f) return true;
    const t = f(row);
    return t === true || t === 'unsent';
  };

  return {
    source, target, relation: targetRelation, needsFullOldImage,
    loadRow(values) {
      if (rowFilter && rowFilter(values) !== true) return null;
      return withExtra(values, false);
    },
    change(ch) {
      switch (ch.op) {
        case 'insert': {
          if (rules.dml.Insert.action === 'Ignore' || !passes(filters.Insert, ch.values)) return null;
          if (rowFilter && rowFilter(ch.values) !== true) return null;
          return { op: 'insert', relation: targetRelation, values: withExtra(ch.values, false) };
        }
        case 'update': {
          if (rules.dml.Update.action === 'Ignore' || !passes(filters.Update, ch.values)) return null;
          if (ch.oldKey && rules.primaryKey) requireOldKey(ch.oldKey, 'update');
          const oldKey = ch.oldKey && withExtra(ch.oldKey, null);
          const kept = rowFilter ? rowFilter(ch.values) : true;
          if (kept === false || kept === null) {
            // The row leaves the filtered set: it goes from the target.
            return { op: 'delete', relation: targetRelation, oldKey: oldKey ?? withExtra(ch.values, null) };
          }
          return { op: 'update', relation: targetRelation, values: withExtra(ch.values, false), oldKey };
        }
        case 'delete': {
          const policy = rules.dml.Delete;
          if (policy.action === 'Ignore' || !passes(filters.Delete, ch.oldKey)) return null;
          requireOldKey(ch.oldKey, 'delete');
          if (policy.action !== 'LogicalDelete') return { op: 'delete', relation: targetRelation, oldKey: withExtra(ch.oldKey, null) };
          // The row was only at the target if it passed the filter.
          if (rowFilter) { const t = rowFilter(ch.oldKey.map((v, i) => (sentInOld(i) ? v : UNCHANGED))); if (t === false || t === null) return null; }
          const image = ch.oldKey.map((v, i) => (sentInOld(i) ? v : UNCHANGED));
          return { op: 'update', relation: targetRelation, values: withExtra(image, true) };
        }
      }
    },
    describe(current) {
      return createdTableShape(current, ctx.naming.targetProtocol, key, extra, ctx.typeOverrides);
    },
  };
}

function addedLogical(c: AddedColumn): LogicalType {
  if ('variable' in c.value) return c.value.variable === 'EXECUTE_TIME' ? { kind: 'timestamptz', fsp: 6 } : TEXT_NAME;
  return c.value.constant.length <= 255 ? TEXT_NAME : { kind: 'text', length: null, fixed: false };
}

function addedValue(c: AddedColumn, source: TableName, target: TableName, ctx: TransformContext): ColumnValue {
  if ('constant' in c.value) return c.value.constant;
  const n = ctx.naming;
  switch (c.value.variable) {
    case 'EXECUTE_TIME': return null; // filled per change
    case 'DB_NAME_SRC': return n.sourceProtocol === 'mysql' ? source.schema : n.sourceDatabase;
    case 'DATASOURCE_NAME_SRC': return n.sourceDataSource;
    case 'TABLE_NAME_SRC': return source.table;
    case 'DB_NAME_DEST': return n.targetProtocol === 'mysql' ? target.schema : n.targetDatabase;
    case 'DATASOURCE_NAME_DEST': return n.targetDataSource;
    case 'TABLE_NAME_DEST': return target.table;
    case 'DB_NAME_SRC_TRANSED': return target.schema;
  }
}

/** Canonical timestamptz text (change-event.ts): UTC with microseconds and "+00". */
function timestampText(d: Date): string {
  return `${d.toISOString().replace('T', ' ').replace('Z', '')}000+00`;
}
