/**
 * Which task table a pgoutput Relation message is, under which name its changes go to the target,
 * and what changed since the task last saw it. pgoutput names relations by OID, which a rename
 * keeps; columns are known by attnum in pg_attribute, which a rename keeps too and a drop marks.
 *
 * - A Relation with a known OID and a new name is a RENAMETABLE (ddlMarkMap): when the task
 *   follows renames (RENAMETABLE NORMAL: the target table is renamed too) changes go out under the
 *   new name; otherwise they keep the target name they had (the original target table).
 * - The first Relation of a table after a start is compared with the description the task stored
 *   before it stopped (`TrackedTable.columns`), so a column renamed, dropped or retyped while the
 *   task was stopped is recognized (relation-changes.ts), by attnum where the catalog can tell.
 * - Descriptions are stored as of acknowledged positions only: a description seen in a
 *   transaction the target has not committed is not the target's yet. `acknowledged()` says when
 *   the stored document changed (the source then persists `document()`).
 */
import type { ColumnInfo, RelationInfo, SchemaChange } from '../../change-event.ts';
import { relationChanges, type ColumnFate } from './relation-changes.ts';

export interface Name { schema: string; table: string }
export interface StoredColumn extends ColumnInfo { attnum: number | null }

export interface TrackedTable {
  oid: number;
  /** schema.table as the task script selects it. */
  selected: string;
  /** The table's name at the source when last seen. */
  source: Name;
  /** The name its target table has: the selected one, or the new one after a followed rename. */
  target: Name;
  /** The columns the target was last told about; null when unknown. */
  columns: StoredColumn[] | null;
}

/** What the catalog holds now for a table's columns, by attnum. */
export type CatalogColumns = Map<number, { name: string; dropped: boolean }>;

const same = (a: Name, b: Name) => a.schema === b.schema && a.table === b.table;

export class RelationTracker {
  private readonly current = new Map<number, TrackedTable>();
  private readonly relations = new Map<number, RelationInfo>();
  private readonly committed = new Map<number, TrackedTable>();
  /** Versions seen in transactions not yet acknowledged; lsn null while their transaction is open. */
  private readonly pending: { lsn: bigint | null; table: TrackedTable }[] = [];

  constructor(tables: TrackedTable[], private readonly followRenames: boolean, private readonly catalog: Map<number, CatalogColumns> = new Map()) {
    for (const t of tables) { this.current.set(t.oid, t); this.committed.set(t.oid, t); }
  }

  has(oid: number): boolean { return this.current.has(oid); }

  /** A table the task takes on while streaming (a 2024 job's new table). */
  track(t: TrackedTable): void {
    this.current.set(t.oid, t);
    this.committed.set(t.oid, t);
  }

  /** The relation changes of `oid` carry now (undefined before its first Relation message). */
  relation(oid: number): RelationInfo | undefined { return this.relations.get(oid); }

  /** The OID of the table whose target has this name, if the task tracks one. */
  oidOfTarget(name: Name): number | undefined {
    for (const t of this.current.values()) if (same(t.target, name)) return t.oid;
    return undefined;
  }

  /** A Relation message: the relation to label its changes with and the schema changes it reveals. */
  onRelation(msg: { id: number; schema: string; table: string; columns: ColumnInfo[] }): { relation: RelationInfo; changes: SchemaChange[] } {
    const t = this.current.get(msg.id)!;
    const previous = this.relations.get(msg.id);
    const changes: SchemaChange[] = [];
    const now: Name = { schema: msg.schema, table: msg.table };
    let target = t.target;
    if (!same(now, t.source)) {
      changes.push({ type: 'RENAMETABLE', schema: t.target.schema, table: t.target.table, newTable: now });
      if (this.followRenames) target = now;
    }
    const after: RelationInfo = { id: msg.id, schema: target.schema, table: target.table, columns: msg.columns };
    const before: RelationInfo | undefined = previous ?? (t.columns ? { ...after, columns: t.columns } : undefined);
    // The catalog tells only what became of a column since the start, so it decides only the first comparison.
    const fate = previous ? undefined : this.fateOf(t);
    const columnChanges = before ? relationChanges({ ...before, schema: target.schema, table: target.table }, after, fate) : [];
    changes.push(...columnChanges);
    const relation = previous && changes.length === 0 && sameColumns(previous.columns, msg.columns) ? previous : after;
    this.relations.set(msg.id, relation);
    const next: TrackedTable = { ...t, source: now, target, columns: carryAttnums(t.columns, msg.columns, columnChanges) };
    this.current.set(msg.id, next);
    this.pending.push({ lsn: null, table: next });
    return { relation, changes };
  }

  /** The open transaction committed at `lsn`: what it showed becomes the target's once acknowledged. */
  onCommit(lsn: bigint): void {
    for (const p of this.pending) if (p.lsn === null) p.lsn = lsn;
  }

  /** The target committed everything up to `lsn`; true when the stored document changed. */
  acknowledged(lsn: bigint): boolean {
    let changed = false;
    while (this.pending.length > 0 && this.pending[0].lsn !== null && this.pending[0].lsn <= lsn) {
      const { table } = this.pending.shift()!;
      this.committed.set(table.oid, table);
      changed = true;
    }
    return changed;
  }

  /** The tables as of the last acknowledged position. */
  document(): TrackedTable[] {
    return [...this.committed.values()];
  }

  private fateOf(t: TrackedTable): ((name: string) => ColumnFate) | undefined {
    const cat = this.catalog.get(t.oid);
    if (!cat || !t.columns) return undefined;
    const byName = new Map(t.columns.map((c) => [c.name, c.attnum]));
    return (name) => {
      const attnum = byName.get(name);
      const now = attnum == null ? undefined : cat.get(attnum);
      if (!now) return undefined;
      return now.dropped ? { dropped: true } : { renamedTo: now.name };
    };
  }
}

function sameColumns(a: ColumnInfo[], b: ColumnInfo[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i].name && c.isKey === b[i].isKey && c.typeOid === b[i].typeOid && c.typmod === b[i].typmod);
}

/** The new columns with the attnums known for them (kept by name, or moved along a rename); null where unknown. */
function carryAttnums(old: StoredColumn[] | null, columns: ColumnInfo[], changes: SchemaChange[]): StoredColumn[] {
  const byName = new Map((old ?? []).map((c) => [c.name, c.attnum]));
  for (const ch of changes) if (ch.type === 'RENAMECOLUMN' && ch.column && ch.newColumn) byName.set(ch.newColumn, byName.get(ch.column) ?? null);
  return columns.map((c) => ({ ...c, attnum: byName.get(c.name) ?? null }));
}
