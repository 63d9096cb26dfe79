/**
 * Folds a run of row changes of one table into the final state per primary key: an upsert with
 * the row's values, or a delete. Applying the folded set in one target transaction gives the same
 * result as applying every change in order. An update that moves a key deletes the old key.
 * Unchanged TOAST values are filled from an earlier image of the same row when one is at hand;
 * otherwise they stay UNCHANGED and the sink must not overwrite them.
 */
import { UNCHANGED, type ColumnValue, type RelationInfo, type RowChange } from '../../change-event.ts';

export type FinalRow = { op: 'upsert'; values: ColumnValue[] } | { op: 'delete'; key: ColumnValue[] };

export function keyIndexes(relation: RelationInfo): number[] {
  const idx: number[] = [];
  relation.columns.forEach((c, i) => { if (c.isKey) idx.push(i); });
  return idx;
}

export function coalesce(changes: RowChange[], keys: number[]): Map<string, FinalRow> {
  const rows = new Map<string, FinalRow>();
  const keyOf = (tuple: ColumnValue[]) => JSON.stringify(keys.map((i) => tuple[i]));
  for (const ch of changes) {
    if (ch.op === 'delete') {
      rows.set(keyOf(ch.oldKey), { op: 'delete', key: keys.map((i) => ch.oldKey[i]) });
      continue;
    }
    const newKey = keyOf(ch.values);
    let values = ch.values;
    if (ch.op === 'update') {
      const oldKey = ch.oldKey ? keyOf(ch.oldKey) : newKey;
      const before = rows.get(oldKey);
      if (before?.op === 'upsert' && values.includes(UNCHANGED)) {
        values = values.map((v, i) => (v === UNCHANGED ? before.values[i] : v));
      }
      if (oldKey !== newKey) rows.set(oldKey, { op: 'delete', key: keys.map((i) => ch.oldKey![i]) });
    }
    rows.delete(newKey); // re-insert so iteration order follows the last change
    rows.set(newKey, { op: 'upsert', values });
  }
  return rows;
}
