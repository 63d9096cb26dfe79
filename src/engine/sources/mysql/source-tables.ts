/**
 * The task's tables as the binlog source sees them: which tables are ours, their columns from
 * information_schema (what the TABLE_MAP's optional metadata leaves out), the collation ids of
 * the server, and the RelationInfo identity rule of change-event.ts (the same object while a
 * table's column names and keys stay the same, a new one after a schema change).
 *
 * Renamed tables (RENAME TABLE, ALTER TABLE .. RENAME): the task follows the table, not the name.
 * Its rows and schema changes go on under the target name: the new name when RENAMETABLE is NORMAL
 * in StartParam.ddlMarkMap (the target table is renamed too), the original target table's name
 * otherwise (IGNORE / WARNING: the target keeps its name; CRITICAL fails the task anyway). A table
 * later created under the old name is not the task's. Every position after a rename carries it
 * (position.ts), so a task whose definition names the old table resumes on the renamed one.
 */
import type { RelationInfo } from '../../change-event.ts';
import type { TableRef } from '../../change-source.ts';
import { UnrecoverableError } from '../../errors.ts';
import type { TableName, TableRename } from './position.ts';
import { T, type TableMap } from './table-map.ts';
import { loadCascadingKeys, loadTableColumns, type CascadingKey, type InfoColumn, type Queryable } from './table-info.ts';

export const tableKey = (schema: string, table: string): string => `${schema}.${table}`.toLowerCase();

/**
 * A TABLE_MAP of one of our tables, with the relation its rows belong to. `oldColumns`: the
 * columns of the before image that updates and deletes carry (their key; every column when the
 * job's rules read the old row: `wholeOldRow`); undefined: every column.
 */
export interface MappedTable { map: TableMap; relation: RelationInfo; oldColumns?: readonly boolean[] }

/** A TABLE_MAP of a table whose row changes cascade into task tables (their target names) without a trace in the binlog. */
export interface ParentTable { map: TableMap; links: { child: TableName; key: CascadingKey }[] }

/** Where rows of a renamed table go: the renamed target table, or the original one. */
export type RenamedTableTarget = 'new-name' | 'original-name';

interface Followed { original: TableName; current: TableName; target: TableName }

const sameName = (a: TableName, b: TableName) => tableKey(a.schema, a.table) === tableKey(b.schema, b.table);

export class SourceTables {
  /** By tableKey of the current name. */
  private readonly tasks = new Map<string, Followed>();
  private collations = new Map<number, string>();
  private readonly infoColumns = new Map<string, InfoColumn[]>();
  private readonly relations = new Map<string, { relation: RelationInfo; signature: string }>();
  private readonly tableMaps = new Map<number, MappedTable>();
  /** Cascading foreign keys by task table (tableKey of the current name). */
  private readonly cascades = new Map<string, CascadingKey[]>();
  private readonly parentMaps = new Map<number, ParentTable>();
  private nextRelationId = 1;

  constructor(
    tables: TableRef[], private readonly renamedTarget: RenamedTableTarget = 'new-name',
    /** 2024 jobs: which tables created while streaming become task tables (table selection rules). */
    private readonly selects?: (t: TableRef) => boolean,
    /** Tables (by relation name) whose updates and deletes carry the whole old row; the others carry its key. */
    private readonly wholeOldRow?: (t: TableName) => boolean,
  ) {
    for (const t of tables) {
      const name = { schema: t.schema, table: t.table };
      this.tasks.set(tableKey(t.schema, t.table), { original: name, current: name, target: name });
    }
  }

  isTaskTable(schema: string, table: string): boolean {
    return this.tasks.has(tableKey(schema, table));
  }

  isTaskKey(key: string): boolean {
    return this.tasks.has(key);
  }

  /** A table just created at the source: it becomes a task table when the job's selection takes it. */
  adoptIfSelected(schema: string, table: string): boolean {
    if (this.isTaskTable(schema, table) || !this.selects?.({ schema, table })) return false;
    const name = { schema, table };
    this.tasks.set(tableKey(schema, table), { original: name, current: name, target: name });
    return true;
  }

  /** Whether the columns last read for a task table include a primary key. */
  hasKey(schema: string, table: string): boolean {
    return this.infoColumns.get(tableKey(schema, table))?.some((c) => c.isKey) ?? false;
  }

  /** Leaves a table out of the task (a picked-up table that turned out unusable). */
  drop(schema: string, table: string): void {
    const key = tableKey(schema, table);
    this.tasks.delete(key);
    this.infoColumns.delete(key);
    this.relations.delete(key);
  }

  /** The task's tables under their current names at the source. */
  get refs(): TableRef[] { return [...this.tasks.values()].map((f) => f.current); }

  /** The target name of a task table (by its current source name). */
  targetOf(schema: string, table: string): TableName {
    return this.tasks.get(tableKey(schema, table))?.target ?? { schema, table };
  }

  /** The current source name of a table named by the task (original name) or by the stream (target name). */
  sourceOf(name: TableName): TableName {
    for (const f of this.tasks.values()) if (sameName(f.original, name) || sameName(f.target, name)) return f.current;
    return name;
  }

  /** The renames so far, for positions (position.ts). */
  renames(): TableRename[] {
    return [...this.tasks.values()].filter((f) => !sameName(f.original, f.current) || !sameName(f.original, f.target))
      .map((f) => ({ original: f.original, current: f.current, target: f.target }));
  }

  /** Renames from a position we resume from. */
  applyRenames(renames: TableRename[]): void {
    for (const r of renames) {
      const key = tableKey(r.original.schema, r.original.table);
      const f = this.tasks.get(key);
      if (!f || !sameName(f.original, r.original)) continue; // no longer one of the task's tables
      this.tasks.delete(key);
      this.tasks.set(tableKey(r.current.schema, r.current.table), { original: f.original, current: r.current, target: r.target });
    }
  }

  /**
   * RENAME of a task table `from` -> `to`: follows it. Returns the target name it had (what the
   * RENAMETABLE event names), or null when `from` is not a task table.
   */
  follow(from: TableName, to: TableName): TableName | null {
    const key = tableKey(from.schema, from.table);
    const f = this.tasks.get(key);
    if (!f) return null;
    this.tasks.delete(key);
    const target = this.renamedTarget === 'new-name' ? to : f.target;
    this.tasks.set(tableKey(to.schema, to.table), { original: f.original, current: to, target });
    this.infoColumns.delete(key);
    return f.target;
  }

  /** Reads the server's collations and every task table's columns (before streaming). */
  async load(c: Queryable): Promise<void> {
    const [colls] = await c.query('SELECT ID AS id, CHARACTER_SET_NAME AS cs FROM information_schema.COLLATIONS');
    this.collations = new Map((colls as { id: number; cs: string }[]).map((r) => [Number(r.id), String(r.cs)]));
    await this.refresh(c, [...this.tasks.keys()]);
  }

  /** Re-reads the columns of the task tables among `keys` (after DDL on them). */
  async refresh(c: Queryable, keys: string[]): Promise<void> {
    for (const k of keys) {
      const t = this.tasks.get(k);
      if (!t) continue;
      const columns = await loadTableColumns(c, t.current);
      this.infoColumns.set(k, columns);
      this.cascades.set(k, columns.length > 0 ? await loadCascadingKeys(c, t.current) : []);
    }
  }

  /** The columns of a task table (current source name), read now if not yet known; empty when the table does not exist. */
  async columnsOf(c: Queryable, table: TableRef): Promise<InfoColumn[]> {
    const key = tableKey(table.schema, table.table);
    let cols = this.infoColumns.get(key);
    if (!cols || cols.length === 0) { cols = await loadTableColumns(c, table); this.infoColumns.set(key, cols); }
    return cols;
  }

  /** After DDL: the next RelationInfo of these tables is a new object, built from fresh columns. */
  forgetRelations(keys: Iterable<string>): void {
    for (const k of keys) this.relations.delete(k);
  }

  onTableMap(map: TableMap): void {
    const links = [...this.cascades].flatMap(([k, keys]) => keys.filter((key) => sameName(key.parent, map))
      .map((key) => ({ child: this.tasks.get(k)?.target ?? key.parent, key })));
    if (links.length > 0) this.parentMaps.set(map.id, { map, links }); else this.parentMaps.delete(map.id);
    if (!this.isTaskTable(map.schema, map.table)) { this.tableMaps.delete(map.id); return; }
    this.resolveColumns(map);
    const names = map.columns.map((c) => c.name!);
    const keys = new Set(map.primaryKey ?? []);
    const info = this.infoColumns.get(tableKey(map.schema, map.table)) ?? [];
    const columns = names.map((name, i) => ({ name, isKey: map.primaryKey ? keys.has(i) : info.find((c) => c.name === name)?.isKey ?? false }));
    const relation = this.relationFor(map.schema, map.table, columns);
    this.tableMaps.set(map.id, { map, relation, oldColumns: this.oldColumnsOf(relation) });
  }

  /** Per relation (a new one when the table's columns change), so the rules are asked once, not per transaction. */
  private readonly oldColumnsByRelation = new WeakMap<RelationInfo, readonly boolean[] | undefined>();

  private oldColumnsOf(relation: RelationInfo): readonly boolean[] | undefined {
    if (this.oldColumnsByRelation.has(relation)) return this.oldColumnsByRelation.get(relation);
    const whole = this.wholeOldRow?.({ schema: relation.schema, table: relation.table }) ?? false;
    const mask = whole || !relation.columns.some((c) => c.isKey) ? undefined : relation.columns.map((c) => c.isKey);
    this.oldColumnsByRelation.set(relation, mask);
    return mask;
  }

  /** The TABLE_MAP a row event refers to when its table is a cascading foreign key's parent. */
  parentOf(tableId: number): ParentTable | undefined {
    return this.parentMaps.get(tableId);
  }

  /** The TABLE_MAP a row event refers to; undefined when it is not one of our tables. */
  mapped(tableId: number): MappedTable | undefined {
    return this.tableMaps.get(tableId);
  }

  /**
   * The relation of a table (current source name), under its target name: the same RelationInfo
   * object while the table's column names and keys stay the same.
   */
  relationFor(schema: string, table: string, columns: { name: string; isKey: boolean }[]): RelationInfo {
    const key = tableKey(schema, table);
    const signature = JSON.stringify(columns);
    const known = this.relations.get(key);
    if (known && known.signature === signature) return known.relation;
    const relation: RelationInfo = { id: known?.relation.id ?? this.nextRelationId++, ...this.targetOf(schema, table), columns };
    this.relations.set(key, { relation, signature });
    return relation;
  }

  /** Fills in what the TABLE_MAP's optional metadata left out, from information_schema. */
  private resolveColumns(map: TableMap): void {
    const info = this.infoColumns.get(tableKey(map.schema, map.table)) ?? [];
    const needInfo = map.columns.some((c) => c.name === null) || !map.hasSignedness
      || map.columns.some((c) => (c.type === T.ENUM || c.type === T.SET) && c.enumValues === null);
    if (needInfo && info.length !== map.columns.length) {
      throw new UnrecoverableError(`${map.schema}.${map.table}: the binlog has ${map.columns.length} columns but information_schema ${info.length}, `
        + 'and the binlog carries no column names; set binlog_row_metadata=FULL on the source');
    }
    map.columns.forEach((c, i) => {
      const ic = info[i];
      if (c.name === null) c.name = ic.name;
      if (!map.hasSignedness && ic) c.unsigned = /\bunsigned\b/i.test(ic.columnType);
      if (c.enumValues === null && ic && (ic.logical.kind === 'enum' || ic.logical.kind === 'set')) c.enumValues = ic.logical.values;
      if (c.collation >= 0) c.charset = c.collation === 63 ? 'binary' : this.collations.get(c.collation) ?? null;
      else c.charset = info.find((x) => x.name === c.name)?.charset ?? null;
    });
  }
}
