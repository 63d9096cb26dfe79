/**
 * Folds a run of one table's row changes into the final state per primary key: an upsert (full
 * row image), a patch (an update that left unchanged TOAST values unsent: only the sent columns
 * may be written), or a delete. The final states of different keys commute, so applying them as a
 * few set-based statements in one target transaction gives the same result as applying every
 * change in order. An update that moves a key deletes the old one. Unsent (UNCHANGED) values are
 * filled from an earlier image of the same row in the run when there is one.
 *
 * The one change that does not commute is a key move that leaves values unsent without an earlier
 * full image: the row must move with its stored values. `add` hands it back as a Move; the caller
 * applies what is folded so far, then the move on its own, and goes on with a fresh Coalescer.
 */
import { UNCHANGED, type ColumnValue, type RowChange } from '../change-event.ts';

export type FinalRow =
  /** fresh: the key's first change in the run was an insert, so the target most likely lacks the row. */
  | { op: 'upsert'; values: ColumnValue[]; fresh: boolean }
  | { op: 'patch'; values: ColumnValue[] }
  | { op: 'delete'; key: ColumnValue[] };

export interface Move { fromKey: ColumnValue[]; values: ColumnValue[] }

export class Coalescer {
  readonly rows = new Map<string, FinalRow>();

  /** `keys`: indexes of the primary key columns in the relation's tuples. */
  constructor(private readonly keys: number[]) {}

  get size(): number { return this.rows.size; }

  add(ch: RowChange): Move | null {
    if (ch.op === 'delete') {
      this.put(this.keyOf(ch.oldKey), { op: 'delete', key: this.keyValues(ch.oldKey) });
      return null;
    }
    const newKey = this.keyOf(ch.values);
    if (ch.op === 'insert') {
      // put() with one lookup less: the delete tells whether the key was already in the run.
      const seen = this.rows.delete(newKey);
      this.rows.set(newKey, { op: 'upsert', values: ch.values, fresh: !seen });
      return null;
    }
    const oldKey = ch.oldKey ? this.keyOf(ch.oldKey) : newKey;
    let values = ch.values;
    if (values.includes(UNCHANGED)) {
      const before = this.rows.get(oldKey);
      if (before && before.op !== 'delete') {
        const earlier = before.values;
        values = values.map((v, i) => (v === UNCHANGED ? earlier[i] : v));
      }
    }
    const partial = values.includes(UNCHANGED);
    if (oldKey !== newKey) {
      if (partial) return { fromKey: this.keyValues(ch.oldKey!), values };
      this.put(oldKey, { op: 'delete', key: this.keyValues(ch.oldKey!) });
    }
    const before = this.rows.get(newKey);
    const fresh = oldKey === newKey && before?.op === 'upsert' && before.fresh;
    this.put(newKey, partial ? { op: 'patch', values } : { op: 'upsert', values, fresh });
    return null;
  }

  private put(key: string, row: FinalRow): void {
    this.rows.delete(key); // re-insert: iteration follows the order of last changes
    this.rows.set(key, row);
  }

  private keyOf(tuple: ColumnValue[]): string {
    return this.keys.length === 1 ? String(tuple[this.keys[0]]) : JSON.stringify(this.keys.map((i) => tuple[i]));
  }

  private keyValues(tuple: ColumnValue[]): ColumnValue[] {
    return this.keys.map((i) => tuple[i]);
  }
}
