/**
 * Which lane a row change goes to when a task applies in parallel (laned-sink.ts,
 * docs/target-checkpoint.md "Lanes"): a hash of the table and the primary key, so every change
 * of one key goes to one lane, in source order. A key change moving a row between lanes becomes
 * a delete of the old key in its lane and an upsert of the full new row in the other; a key
 * change whose row image is partial (PostgreSQL TOAST values not sent) cannot be split, since the
 * unsent values are only in the target row, and fails the task with what to do.
 */
import { UNCHANGED, type ColumnValue, type RelationInfo, type RowChange } from '../change-event.ts';
import { UnrecoverableError } from '../errors.ts';

/** FNV-1a (32 bit) over the table name and the key values; stable across processes and restarts. */
export function laneOfKey(relation: RelationInfo, tuple: ColumnValue[], lanes: number): number {
  if (lanes <= 1) return 0;
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h = Math.imul(h, 0x01000193); // a separator: ('ab', 'c') and ('a', 'bc') differ
  };
  mix(relation.schema);
  mix(relation.table);
  relation.columns.forEach((col, i) => {
    if (!col.isKey) return;
    const v = tuple[i];
    mix(v === null ? '\u0001null' : v === UNCHANGED ? '\u0001unchanged' : v);
  });
  return (h >>> 0) % lanes;
}

/** Splits changes into one list per lane, each keeping source order; `serial`: every change to lane 0. */
export function routeChanges(changes: RowChange[], lanes: number, serial = false): RowChange[][] {
  const out: RowChange[][] = Array.from({ length: Math.max(1, lanes) }, () => []);
  if (lanes <= 1 || serial) {
    out[0].push(...changes);
    return out;
  }
  for (const ch of changes) {
    if (ch.op === 'delete') { out[laneOfKey(ch.relation, ch.oldKey, lanes)].push(ch); continue; }
    const lane = laneOfKey(ch.relation, ch.values, lanes);
    if (ch.op === 'update' && ch.oldKey) {
      const from = laneOfKey(ch.relation, ch.oldKey, lanes);
      if (from !== lane) {
        if (ch.values.includes(UNCHANGED)) {
          throw new UnrecoverableError(`a primary key change in ${ch.relation.schema}.${ch.relation.table} left values unsent (PostgreSQL TOAST) and moves the row between `
            + `apply lanes, which cannot be applied in parallel. Set the task's concurrency (runtime.realtime.concurrent) to 1, or REPLICA IDENTITY FULL on the source table, and start the task again.`);
        }
        out[from].push({ op: 'delete', relation: ch.relation, oldKey: ch.oldKey });
        out[lane].push({ op: 'update', relation: ch.relation, values: ch.values });
        continue;
      }
    }
    out[lane].push(ch);
  }
  return out;
}
