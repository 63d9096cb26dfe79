/** The two-column table (id integer key, v text) that sink-level tests write, as a source would describe it. */
import type { RelationInfo } from '../../src/engine/change-event.ts';
import type { TableSchema } from '../../src/engine/table-schema.ts';

export const ID_VALUE_SCHEMA: TableSchema = {
  dialect: 'postgresql',
  columns: [
    { name: 'id', type: 'integer', logical: { kind: 'integer', bytes: 4, unsigned: false }, isKey: true, notNull: true },
    { name: 'v', type: 'text', logical: { kind: 'text', length: null, fixed: false }, isKey: false, notNull: false },
  ],
};

let relId = 0;

/** A new RelationInfo of public.`table` each call (sinks prepare a table once per RelationInfo object). */
export function idValueRelation(table: string): RelationInfo {
  return { id: ++relId, schema: 'public', table, columns: [{ name: 'id', isKey: true }, { name: 'v', isKey: false }] };
}
