/**
 * The queue between a source's socket and the pipeline (src/engine/source-event-queue.ts): events
 * in order, backpressure at the marks, and batching by what is available: once drained after
 * delivering events it says `idle` at once (so the pipeline commits without waiting for a timer),
 * while a queue that stays empty waits `idleMs` per call (no busy loop).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceEventQueue } from '../src/engine/source-event-queue.ts';
import type { SourceEvent } from '../src/engine/change-event.ts';

const begin: SourceEvent = { kind: 'begin' } as SourceEvent;

test('drained after deliveries: idle at once; empty since: idle only after idleMs; an arriving event wakes the wait', async () => {
  const q = new SourceEventQueue({ pause() {}, resume() {} });
  q.push(begin);
  q.push(begin);
  assert.equal((await q.next(10_000)).kind, 'begin');
  assert.equal((await q.next(10_000)).kind, 'begin');
  let t0 = performance.now();
  assert.equal((await q.next(10_000)).kind, 'idle', 'drained: idle');
  assert.ok(performance.now() - t0 < 1_000, 'at once, not after idleMs');
  t0 = performance.now();
  assert.equal((await q.next(60)).kind, 'idle');
  assert.ok(performance.now() - t0 >= 55, 'nothing delivered since: waits idleMs');
  setTimeout(() => q.push(begin), 20);
  t0 = performance.now();
  assert.equal((await q.next(10_000)).kind, 'begin', 'woken by the push');
  assert.ok(performance.now() - t0 < 5_000);
  q.requestEnd();
  assert.equal((await q.next(10_000)).kind, 'end');
});

test('pauses the source above the high mark and resumes below the low mark; a failure comes after what was queued', async () => {
  const calls: string[] = [];
  const q = new SourceEventQueue({ pause: () => calls.push('pause'), resume: () => calls.push('resume') }, { high: 3, low: 2 });
  for (let i = 0; i < 4; i++) q.push(begin);
  assert.deepEqual(calls, ['pause']);
  await q.next(10);
  await q.next(10);
  await q.next(10);
  assert.equal(calls.at(-1), 'resume');
  q.fail(new Error('gone'));
  assert.equal((await q.next(10)).kind, 'begin', 'the queued event first');
  await assert.rejects(q.next(10), /gone/);
});
