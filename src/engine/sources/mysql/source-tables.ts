/**
 * The task's tables as the binlog source sees them: which tables are ours, their columns from
 * information_schema (what the TABLE_MAP's optional metadata leaves out), the collation ids of
 * the server, and the RelationInfo identity rule of change-event.ts (the same object while a
 * table's column names and keys stay the same, a new one after a schema change).
 */
import type { RelationInfo } from '../../change-event.ts';
import type { TableRef } from '../../change-source.ts';
import { UnrecoverableError } from '../../errors.ts';
import { T, type TableMap } from './table-map.ts';
import { loadTableColumns, type InfoColumn, type Queryable } from './table-info.ts';

export const tableKey = (schema: string, table: string): string => `${schema}.${table}`.toLowerCase();

/** A TABLE_MAP of one of our tables, with the relation its rows belong to. */
export interface MappedTable { map: TableMap; relation: RelationInfo }

export class SourceTables {
  private readonly tasks = new Map<string, TableRef>();
  private collations = new Map<number, string>();
  private readonly infoColumns = new Map<string, InfoColumn[]>();
  private readonly relations = new Map<string, { relation: RelationInfo; signature: string }>();
  private readonly tableMaps = new Map<number, MappedTable>();
  private nextRelationId = 1;

  constructor(tables: TableRef[]) {
    for (const t of tables) this.tasks.set(tableKey(t.schema, t.table), t);
  }

  isTaskTable(schema: string, table: string): boolean {
    return this.tasks.has(tableKey(schema, table));
  }

  isTaskKey(key: string): boolean {
    return this.tasks.has(key);
  }

  get refs(): TableRef[] { return [...this.tasks.values()]; }

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
      if (t) this.infoColumns.set(k, await loadTableColumns(c, t));
    }
  }

  /** The columns of a task table, read now if not yet known; empty when the table does not exist. */
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
    if (!this.isTaskTable(map.schema, map.table)) { this.tableMaps.delete(map.id); return; }
    this.resolveColumns(map);
    const names = map.columns.map((c) => c.name!);
    const keys = new Set(map.primaryKey ?? []);
    const info = this.infoColumns.get(tableKey(map.schema, map.table)) ?? [];
    const columns = names.map((name, i) => ({ name, isKey: map.primaryKey ? keys.has(i) : info.find((c) => c.name === name)?.isKey ?? false }));
    this.tableMaps.set(map.id, { map, relation: this.relationFor(map.schema, map.table, columns) });
  }

  /** The TABLE_MAP a row event refers to; undefined when it is not one of our tables. */
  mapped(tableId: number): MappedTable | undefined {
    return this.tableMaps.get(tableId);
  }

  /** The same RelationInfo object while the table's column names and keys stay the same. */
  relationFor(schema: string, table: string, columns: { name: string; isKey: boolean }[]): RelationInfo {
    const key = tableKey(schema, table);
    const signature = JSON.stringify(columns);
    const known = this.relations.get(key);
    if (known && known.signature === signature) return known.relation;
    const relation: RelationInfo = { id: known?.relation.id ?? this.nextRelationId++, schema, table, columns };
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
