/**
 * pgoutput has no DDL messages, but it sends a table's Relation message again, before its next
 * change, after the table's columns changed. Comparing it with the previous one tells what
 * changed: a column dropped, renamed (same type, new name, after the same column) or
 * retyped. Added columns are not reported here: the sink finds them missing in the target (also
 * after a stop, when there is no previous message to compare with) and the pipeline handles that
 * as ADDCOLUMN.
 */
import type { RelationInfo, SchemaChange } from '../../change-event.ts';

export function relationChanges(before: RelationInfo, after: RelationInfo): SchemaChange[] {
  const base = { schema: after.schema, table: after.table };
  const beforeNames = new Set(before.columns.map((c) => c.name));
  const afterNames = new Set(after.columns.map((c) => c.name));
  const dropped = before.columns.filter((c) => !afterNames.has(c.name));
  const added = after.columns.filter((c) => !beforeNames.has(c.name));
  const changes: SchemaChange[] = [];
  // A rename keeps the column's place: the dropped and the added column follow the same column.
  const predecessor = (cols: RelationInfo['columns'], c: RelationInfo['columns'][number]) => cols[cols.indexOf(c) - 1]?.name ?? null;
  for (const a of added) {
    const d = dropped.find((x) => x.typeOid === a.typeOid && predecessor(before.columns, x) === predecessor(after.columns, a));
    if (!d) continue;
    dropped.splice(dropped.indexOf(d), 1);
    changes.push({ ...base, type: 'RENAMECOLUMN', column: d.name, newColumn: a.name });
  }
  for (const c of dropped) changes.push({ ...base, type: 'DROPCOLUMN', column: c.name });
  for (const c of after.columns) {
    const old = before.columns.find((b) => b.name === c.name);
    if (old && (old.typeOid !== c.typeOid || old.typmod !== c.typmod)) changes.push({ ...base, type: 'MODIFYCOLUMN', column: c.name });
  }
  return changes;
}
