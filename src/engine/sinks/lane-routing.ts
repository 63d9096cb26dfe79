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
import type { Coupling } from './sink-dialect.ts';

const FNV_PRIME = 0x01000193;

/** FNV-1a step over a string, then one more multiply as a separator: ('ab', 'c') and ('a', 'bc') differ. */
function mix(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return Math.imul(h, FNV_PRIME);
}

/** Per relation: the hash of its schema and table name, and where its key columns are (worked out once, not per row). */
interface KeyHash { seed: number; keys: number[] }
const keyHashes = new WeakMap<RelationInfo, KeyHash>();

function keyHashOf(relation: RelationInfo): KeyHash {
  let k = keyHashes.get(relation);
  if (k === undefined) {
    const keys: number[] = [];
    relation.columns.forEach((col, i) => { if (col.isKey) keys.push(i); });
    k = { seed: mix(mix(0x811c9dc5, relation.schema), relation.table), keys };
    keyHashes.set(relation, k);
  }
  return k;
}

/** FNV-1a (32 bit) over the table name and the key values; stable across processes and restarts. */
export function laneOfKey(relation: RelationInfo, tuple: ColumnValue[], lanes: number): number {
  if (lanes <= 1) return 0;
  const { seed, keys } = keyHashOf(relation);
  let h = seed;
  for (let k = 0; k < keys.length; k++) {
    const v = tuple[keys[k]];
    h = mix(h, v === null ? '\u0001null' : v === UNCHANGED ? '\u0001unchanged' : v);
  }
  return (h >>> 0) % lanes;
}

/** The lane of every change of a table routed whole (a hash of its name: such tables spread over the lanes). */
export function laneOfTable(relation: RelationInfo, lanes: number): number {
  return lanes <= 1 ? 0 : (keyHashOf(relation).seed >>> 0) % lanes;
}

/**
 * Splits changes into one list per lane, each keeping source order; `serial`: every change to
 * lane 0. `coupling(relation)` (sink-dialect.ts Coupling) keeps coupled rows in one lane, in
 * source order: a table whose unique index besides the primary key ties its rows together goes
 * whole to laneOfTable (a value that moves from one row to another must leave the first before it
 * arrives in the second); tables tied by foreign keys all go to lane 0 (a parent before its
 * children, children before their parent's delete). Split over lanes, the second write would fail
 * on the constraint (and be set aside as a dirty record), or wait on the first lane's open
 * transaction, which waits for the task's commit: a stall.
 */
export function routeChanges(changes: RowChange[], lanes: number, serial = false, coupling: (relation: RelationInfo) => Coupling = () => 'none'): RowChange[][] {
  const out: RowChange[][] = Array.from({ length: Math.max(1, lanes) }, () => []);
  if (lanes <= 1 || serial) {
    out[0].push(...changes);
    return out;
  }
  const wholeLane = new Map<RelationInfo, number | null>();
  for (const ch of changes) {
    let tableLane = wholeLane.get(ch.relation);
    if (tableLane === undefined) {
      const c = coupling(ch.relation);
      tableLane = c === 'tables' ? 0 : c === 'rows' ? laneOfTable(ch.relation, lanes) : null;
      wholeLane.set(ch.relation, tableLane);
    }
    if (tableLane !== null) { out[tableLane].push(ch); continue; }
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
