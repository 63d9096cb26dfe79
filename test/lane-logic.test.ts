/** Parallel apply, the pure part: routing by table + key, the lanes' positions and the catch-up (skip) rule. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UNCHANGED, type RelationInfo, type RowChange } from '../src/engine/change-event.ts';
import { laneOfKey, laneOfTable, routeChanges } from '../src/engine/sinks/lane-routing.ts';
import { LanePositions, checkpointOrder } from '../src/engine/sinks/lane-positions.ts';
import { encodeLoad } from '../src/engine/checkpoint.ts';
import { UnrecoverableError } from '../src/engine/errors.ts';

const rel: RelationInfo = { id: 1, schema: 's', table: 't', columns: [{ name: 'id', isKey: true }, { name: 'v', isKey: false }] };
const other: RelationInfo = { id: 2, schema: 's', table: 'u', columns: [{ name: 'id', isKey: true }, { name: 'v', isKey: false }] };
const ins = (id: string, v = 'x', r = rel): RowChange => ({ op: 'insert', relation: r, values: [id, v] });

test('a key always goes to the same lane, whatever its other values or the change', () => {
  for (let i = 0; i < 200; i++) {
    const lane = laneOfKey(rel, [String(i), 'a'], 4);
    assert.equal(laneOfKey(rel, [String(i), 'b'], 4), lane);
    const parts = routeChanges([ins(String(i)), { op: 'update', relation: rel, values: [String(i), 'y'] }, { op: 'delete', relation: rel, oldKey: [String(i), null] }], 4);
    assert.deepEqual(parts.map((p) => p.length), [0, 1, 2, 3].map((l) => (l === lane ? 3 : 0)));
    assert.deepEqual(parts[lane].map((c) => c.op), ['insert', 'update', 'delete']);
  }
});

test('keys spread over the lanes, and the table is part of the hash', () => {
  const counts = [0, 0, 0, 0];
  let differ = 0;
  for (let i = 0; i < 4000; i++) {
    counts[laneOfKey(rel, [String(i), null], 4)]++;
    if (laneOfKey(rel, [String(i), null], 4) !== laneOfKey(other, [String(i), null], 4)) differ++;
  }
  for (const c of counts) assert.ok(c > 800 && c < 1200, `lane counts ${counts}`);
  assert.ok(differ > 2000);
});

test('the lane of a key is the same in every version: a restart after a crash replays each row into the lane that had it', () => {
  // Pinned values of FNV-1a over schema, table and key columns in order (lane-routing.ts); a lane ahead
  // skips replayed transactions (lane-positions.ts), so a key that changed lanes across an upgrade could be lost.
  const two: RelationInfo = { id: 3, schema: 'public', table: 'orders', columns: [{ name: 'id', isKey: true }, { name: 'v', isKey: false }, { name: 'k2', isKey: true }] };
  const lanes = ['1', '42', 'h\u00e9llo', '9999999999'].map((k) => [laneOfKey(two, [k, 'x', 'b'], 7), laneOfKey(two, [k, 'x', null], 1000003)]);
  assert.deepEqual(lanes, [[3, 499019], [6, 973124], [3, 374529], [2, 421852]]);
});

test('one lane or serial: everything to lane 0 in order', () => {
  const changes = [ins('1'), ins('2'), ins('3')];
  assert.deepEqual(routeChanges(changes, 1), [changes]);
  const serial = routeChanges(changes, 4, true);
  assert.deepEqual(serial[0], changes);
  assert.equal(serial[1].length + serial[2].length + serial[3].length, 0);
});

test('a key change across lanes is a delete in the old lane and an upsert of the full row in the new one', () => {
  let from = 0, to = 0;
  for (; to < 100; to++) if (laneOfKey(rel, [String(to), null], 4) !== laneOfKey(rel, ['a', null], 4)) break;
  from = laneOfKey(rel, ['a', null], 4);
  const moved = laneOfKey(rel, [String(to), null], 4);
  const parts = routeChanges([{ op: 'update', relation: rel, values: [String(to), 'v'], oldKey: ['a', null] }], 4);
  assert.deepEqual(parts[from], [{ op: 'delete', relation: rel, oldKey: ['a', null] }]);
  assert.deepEqual(parts[moved], [{ op: 'update', relation: rel, values: [String(to), 'v'] }]);
  // Unsent values cannot move between lanes: a clear, unrecoverable error.
  assert.throws(() => routeChanges([{ op: 'update', relation: rel, values: [String(to), UNCHANGED], oldKey: ['a', null] }], 4), UnrecoverableError);
});

test('a table with a unique index besides its key goes whole to one lane, tables tied by foreign keys to lane 0, in source order; the others still split by key', () => {
  // Row 1 gives its value up, row 2 takes it: only in this order does the unique index accept it.
  const moves: RowChange[] = [
    { op: 'update', relation: rel, values: ['1', 'free'] }, { op: 'update', relation: rel, values: ['2', 'taken'] }, { op: 'delete', relation: rel, oldKey: ['3', null] },
  ];
  const spread = [...Array(40).keys()].map((i) => ins(String(i), 'x', other));
  const parts = routeChanges([...moves, ...spread], 4, false, (r) => (r === rel ? 'rows' : 'none'));
  const lane = laneOfTable(rel, 4);
  assert.deepEqual(parts[lane].filter((c) => c.relation === rel), moves);
  for (let l = 0; l < 4; l++) if (l !== lane) assert.ok(parts[l].every((c) => c.relation === other));
  assert.ok(parts.filter((p) => p.some((c) => c.relation === other)).length > 1, 'the other table still spreads over the lanes');
  // A key change inside such a table stays one change in its lane (no split into delete and upsert).
  const keyChange: RowChange = { op: 'update', relation: rel, values: ['9', UNCHANGED], oldKey: ['1', null] };
  assert.deepEqual(routeChanges([keyChange], 4, false, () => 'rows')[lane], [keyChange]);
  assert.equal(laneOfTable(rel, 1), 0);
  // Parent and child tables: all on lane 0, in source order across the tables.
  const family = [ins('1', 'parent', other), ins('10', 'child of 1'), ins('2', 'parent', other), ins('20', 'child of 2')];
  const tied = routeChanges(family, 4, false, () => 'tables');
  assert.deepEqual(tied[0], family);
  assert.equal(tied[1].length + tied[2].length + tied[3].length, 0);
});

const lsnOrder = checkpointOrder((a, b) => Number(a) - Number(b));

test('positions: stream by the source order, a load after its start and before later stream positions, null lowest', () => {
  const load = (chunks: number) => encodeLoad({ stream: '10', done: [], table: 's.t', after: ['5'], chunks });
  assert.ok(lsnOrder(null, '1') < 0);
  assert.ok(lsnOrder('9', '10') < 0);
  assert.ok(lsnOrder('10', load(1)) < 0);
  assert.ok(lsnOrder(load(1), load(2)) < 0);
  assert.ok(lsnOrder(load(7), '11') < 0);
  assert.equal(lsnOrder('11', '11'), 0);
});

test('the task resumes from the lowest lane; lanes ahead discard what they applied, then apply', () => {
  const p = new LanePositions(lsnOrder, ['20', '10', '30', '10']);
  assert.equal(p.lowest(), '10');
  assert.equal(p.highest(), '30');
  assert.deepEqual([0, 1, 2, 3].map((l) => p.ahead(l)), [true, false, true, false]);
  assert.ok(p.catchingUp());
  assert.deepEqual(p.transactionEnd('15'), [true, false, true, false]);
  assert.deepEqual(p.transactionEnd('20'), [true, false, true, false]); // lane 0 applied 20 itself
  assert.deepEqual(p.transactionEnd('25'), [false, false, true, false]);
  assert.ok(p.catchingUp());
  assert.deepEqual(p.transactionEnd('31'), [false, false, false, false]);
  assert.ok(!p.catchingUp());
});

test('a lane never writes a position below its own (a commit during the catch-up)', () => {
  const p = new LanePositions(lsnOrder, ['20', '10']);
  assert.equal(p.commitPosition(0, '15'), '20');
  assert.equal(p.commitPosition(1, '15'), '15');
  p.committed(1, '15');
  assert.equal(p.lowest(), '15');
  assert.equal(p.commitPosition(0, '25'), '25');
});

test('a heartbeat position between transactions: the next replayed transaction is applied', () => {
  // Lane 0 committed a heartbeat (no transaction of the task at 12..17); the replay goes on at 18.
  const p = new LanePositions(lsnOrder, ['17', '12']);
  assert.deepEqual(p.transactionEnd('18'), [false, false]);
  assert.ok(!p.catchingUp());
});

test('runtime.realtime.concurrent sets the lanes of a 2024 job: 1 by default, at most 16', async () => {
  const { engineSettings, parseJobSettings, MAX_LANES } = await import('../src/domain/di-job/job-settings.ts');
  const defaults = { count: 3, interval: 30 };
  assert.equal(engineSettings({}, defaults).lanes, 1);
  const four = parseJobSettings({ RuntimeSettings: [{ Name: 'runtime.realtime.concurrent', Value: '4' }] }, 'JobSettings');
  assert.equal(engineSettings(four, defaults).lanes, 4);
  assert.equal(MAX_LANES, 16);
  assert.throws(() => parseJobSettings({ RuntimeSettings: [{ Name: 'runtime.realtime.concurrent', Value: '17' }] }, 'JobSettings'), /at most 16/);
  assert.throws(() => parseJobSettings({ RuntimeSettings: [{ Name: 'runtime.realtime.concurrent', Value: '0' }] }, 'JobSettings'));
});
