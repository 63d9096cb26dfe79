/**
 * pgoutput has no DDL messages, but it sends a table's Relation message again, before its next
 * change, after the table's columns changed. Comparing it with the previous one (or, first thing
 * after a start, with the description the task stored before it stopped) tells what changed: a
 * column dropped, renamed or retyped. Added columns are not reported here: the sink finds them
 * missing in the target and the pipeline handles that as ADDCOLUMN.
 *
 * Who is who: when the catalog says what became of a column (`fate`, from pg_attribute by attnum,
 * which a rename keeps and a drop marks), that decides. Otherwise a rename is recognized by its
 * place: the dropped and the added column have the same type and follow the same column.
 */
import type { ColumnInfo, RelationInfo, SchemaChange } from '../../change-event.ts';

/** What the catalog says became of a column known by its old name; undefined: it cannot tell. */
export type ColumnFate = { renamedTo: string } | { dropped: true } | undefined;

export function relationChanges(before: RelationInfo, after: RelationInfo, fate: (name: string) => ColumnFate = () => undefined): SchemaChange[] {
  const base = { schema: after.schema, table: after.table };
  const beforeNames = new Set(before.columns.map((c) => c.name));
  const afterNames = new Set(after.columns.map((c) => c.name));
  const dropped = before.columns.filter((c) => !afterNames.has(c.name));
  const added = after.columns.filter((c) => !beforeNames.has(c.name));
  const renames: [ColumnInfo, ColumnInfo][] = [];
  const take = <T>(list: T[], x: T) => list.splice(list.indexOf(x), 1);
  const knownDropped = new Set<ColumnInfo>();
  for (const d of [...dropped]) {
    const f = fate(d.name);
    if (f && 'dropped' in f) knownDropped.add(d);
    const a = f && 'renamedTo' in f ? added.find((x) => x.name === f.renamedTo) : undefined;
    if (a) { take(dropped, d); take(added, a); renames.push([d, a]); }
  }
  const predecessor = (cols: ColumnInfo[], c: ColumnInfo) => cols[cols.indexOf(c) - 1]?.name ?? null;
  for (const a of [...added]) {
    const d = dropped.find((x) => !knownDropped.has(x) && x.typeOid === a.typeOid && predecessor(before.columns, x) === predecessor(after.columns, a));
    if (!d) continue;
    take(dropped, d);
    renames.push([d, a]);
  }
  const changes: SchemaChange[] = renames.map(([d, a]) => ({ ...base, type: 'RENAMECOLUMN', column: d.name, newColumn: a.name }));
  for (const c of dropped) changes.push({ ...base, type: 'DROPCOLUMN', column: c.name });
  const retyped = (old: ColumnInfo, now: ColumnInfo) => old.typeOid !== now.typeOid || old.typmod !== now.typmod;
  for (const c of after.columns) {
    const old = before.columns.find((b) => b.name === c.name) ?? renames.find(([, a]) => a === c)?.[0];
    if (old && retyped(old, c)) changes.push({ ...base, type: 'MODIFYCOLUMN', column: c.name });
  }
  return changes;
}
