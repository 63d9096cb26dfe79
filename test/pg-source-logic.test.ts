/**
 * The PostgreSQL source's decisions that need no server: when a pipeline counts as caught up and
 * how its delay grows, when a silent walsender is stalled, how relation messages map to schema
 * changes (OID and attnum identity, renamed tables), and that a hostile server's malformed
 * replication message fails the stream instead of throwing out of a socket handler (a fake
 * server speaking just enough of the protocol).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { isSourceCaughtUp, HEARD_RECENTLY_MS } from '../src/engine/caught-up.ts';
import { delaySeconds } from '../src/runtime/delay-seconds.ts';
import type { PipelineMetrics } from '../src/engine/pipeline.ts';
import { StallWatch, type WalsenderState } from '../src/engine/sources/postgres/stall-watch.ts';
import { relationChanges } from '../src/engine/sources/postgres/relation-changes.ts';
import { RelationTracker, type TrackedTable } from '../src/engine/sources/postgres/relation-tracker.ts';
import { ReplicationStream } from '../src/engine/sources/postgres/replication-stream.ts';
import { serverWalFlush } from '../src/engine/sources/postgres/server-wal-sample.ts';
import { createLogger } from '../src/logger.ts';
import { parseRealtimeTask } from '../src/domain/task-content.ts';

const logger = createLogger('silent');

test('caught up only when idle, heard from recently and the server is not ahead; the delay grows from the last caught-up moment', () => {
  const now = Date.parse('2025-01-01T00:01:00Z');
  const heard = (ago: number) => new Date(now - ago);
  assert.equal(isSourceCaughtUp(undefined, now), true, 'a source without a clock: the idle read decides');
  assert.equal(isSourceCaughtUp({ lastHeardAt: heard(500), serverAhead: false }, now), true);
  assert.equal(isSourceCaughtUp({ lastHeardAt: heard(HEARD_RECENTLY_MS + 1), serverAhead: false }, now), false, 'silent');
  assert.equal(isSourceCaughtUp({ lastHeardAt: null, serverAhead: false }, now), false, 'never heard from');
  assert.equal(isSourceCaughtUp({ lastHeardAt: heard(10), serverAhead: true }, now), false, 'the server has more');

  const m: PipelineMetrics = {
    phase: 'incremental', rowsRead: 1, rowsLoaded: 0, tablesLoaded: 0, tablesTotal: 0, rowsApplied: 1, sinkMs: 0, transactionsApplied: 1, dirtyRecords: 0, committedPosition: '0/1',
    lastSourceCommitTime: new Date(now - 3_600_000), lastAppliedAt: null, caughtUp: true, lastCaughtUpAt: new Date(now - 100), tables: {},
  };
  assert.equal(delaySeconds(m, now), 0);
  // Silent since 20 s: the delay counts from the last caught-up moment, not from the hour-old last commit.
  assert.equal(delaySeconds({ ...m, caughtUp: false, lastCaughtUpAt: new Date(now - 20_000) }, now), 20);
  // Applying a backlog after a restart (never caught up in this run): the age of the last applied commit.
  assert.equal(delaySeconds({ ...m, caughtUp: false, lastCaughtUpAt: null }, now), 3600);
  assert.equal(delaySeconds({ ...m, caughtUp: false, lastCaughtUpAt: null, lastSourceCommitTime: null }, now), null);
  assert.equal(delaySeconds({ ...m, phase: 'full load' }, now), null);
});

test('stall watch: an idle walsender deaf to pings, a gone one or an unreachable server is a stall; a busy one gets until wal_sender_timeout / 2', async () => {
  const run = async (probe: () => Promise<WalsenderState>, silent: number, walSenderTimeoutMs = 60_000) => {
    let detail: string | undefined;
    const w = new StallWatch({ stallMs: 100, walSenderTimeoutMs, silentMs: () => silent, probe, onStall: (d) => { detail = d; }, logger, checkMs: 10 });
    w.start();
    await new Promise((r) => setTimeout(r, 120));
    w.stop();
    return detail;
  };
  assert.equal(await run(async () => ({ state: 'waiting', waitEvent: 'Client/WalSenderWaitForWAL' }), 50), undefined, 'silent less than the bound');
  assert.match((await run(async () => ({ state: 'waiting', waitEvent: 'Client/WalSenderWaitForWAL' }), 150))!, /did not answer our status pings.*WalSenderWaitForWAL/);
  assert.match((await run(async () => ({ state: 'gone' }), 150))!, /has exited/);
  assert.match((await run(async () => { throw new Error('Query read timeout'); }, 150))!, /did not answer a status query: Query read timeout/);
  assert.equal(await run(async () => ({ state: 'busy', waitEvent: 'IO/ReorderBufferRead' }), 150), undefined, 'decoding: not yet');
  // Past half of wal_sender_timeout (plus the bound) even a busy walsender owes us a keepalive.
  assert.match((await run(async () => ({ state: 'busy', waitEvent: null }), 1_000, 1_000))!, /not even a keepalive/);
});

const col = (name: string, typeOid = 23, isKey = false) => ({ name, typeOid, typmod: -1, isKey });
const rel = (columns: ReturnType<typeof col>[], table = 't') => ({ id: 16400, schema: 'public', table, columns });

test('relation changes: the catalog (attnum) decides renames and drops; without it, place and type do', () => {
  const before = rel([col('id', 20, true), col('a'), col('b', 25)]);
  // Renamed and retyped at once: the place-and-type rule cannot see it, the catalog can.
  const after = rel([col('id', 20, true), col('a2', 20), col('b', 25)]);
  assert.deepEqual(relationChanges(before, after).map((c) => `${c.type} ${c.column}`), ['DROPCOLUMN a'],
    'without the catalog: a dropped (a2 is a new column the sink adds)');
  const fate = (n: string) => (n === 'a' ? { renamedTo: 'a2' } : undefined);
  assert.deepEqual(relationChanges(before, after, fate).map((c) => [c.type, c.column, c.newColumn ?? null]),
    [['RENAMECOLUMN', 'a', 'a2'], ['MODIFYCOLUMN', 'a2', null]]);
  // Dropped per the catalog: never paired with a new column of the same type in its place.
  const replaced = rel([col('id', 20, true), col('c'), col('b', 25)]);
  assert.deepEqual(relationChanges(before, replaced, (n) => (n === 'a' ? { dropped: true } : undefined)).map((c) => `${c.type} ${c.column}`), ['DROPCOLUMN a']);
  assert.deepEqual(relationChanges(before, replaced).map((c) => `${c.type} ${c.column}->${c.newColumn}`), ['RENAMECOLUMN a->c'], 'the place-and-type guess');
});

test('relation tracker: a renamed table keeps its target name unless renames are followed; stored columns are compared first; stored state moves only with acknowledgements', () => {
  const stored: TrackedTable = {
    oid: 16400, selected: 'public.t', source: { schema: 'public', table: 't' }, target: { schema: 'public', table: 't' },
    columns: [{ ...col('id', 20, true), attnum: 1 }, { ...col('a'), attnum: 2 }],
  };
  const catalog = new Map([[16400, new Map([[1, { name: 'id', dropped: false }], [2, { name: 'renamed', dropped: false }]])]]);
  const keep = new RelationTracker([stored], false, catalog);
  // First message after a start: table renamed to t2 and column a renamed while the task was stopped.
  const first = keep.onRelation({ id: 16400, schema: 'public', table: 't2', columns: [col('id', 20, true), col('renamed')] });
  assert.deepEqual(first.changes.map((c) => [c.type, c.table, c.column ?? c.newTable?.table, c.newColumn ?? null]),
    [['RENAMETABLE', 't', 't2', null], ['RENAMECOLUMN', 't', 'a', 'renamed']]);
  assert.equal(first.relation.table, 't', 'not followed: changes keep going to the original target table');
  assert.equal(keep.oidOfTarget({ schema: 'public', table: 't' }), 16400);
  const again = keep.onRelation({ id: 16400, schema: 'public', table: 't2', columns: [col('id', 20, true), col('renamed')] });
  assert.deepEqual(again.changes, []);
  assert.equal(again.relation, first.relation, 'same columns: the same relation object (sinks prepare once per object)');

  const follow = new RelationTracker([stored], true);
  const followed = follow.onRelation({ id: 16400, schema: 'public', table: 't2', columns: [col('id', 20, true), col('a')] });
  assert.equal(followed.relation.table, 't2', 'followed: changes go out under the new name');
  assert.equal(follow.document()[0].target.table, 't', 'not stored before the target committed it');
  follow.onCommit(100n);
  assert.equal(follow.acknowledged(99n), false);
  assert.equal(follow.acknowledged(100n), true);
  assert.deepEqual(follow.document()[0].target, { schema: 'public', table: 't2' });
  assert.deepEqual(follow.document()[0].columns!.map((c) => [c.name, c.attnum]), [['id', 1], ['a', 2]], 'attnums carried along');
});

/** Just enough of a PostgreSQL server: trust login, then START_REPLICATION answered with CopyBoth and `payload`. */
async function fakeReplicationServer(payload: Buffer): Promise<net.Server> {
  const msg = (type: string, body: Buffer) => { const h = Buffer.alloc(5); h.write(type, 0); h.writeInt32BE(body.length + 4, 1); return Buffer.concat([h, body]); };
  const int32 = (...v: number[]) => { const b = Buffer.alloc(4 * v.length); v.forEach((x, i) => b.writeInt32BE(x, i * 4)); return b; };
  const server = net.createServer((sock) => {
    let started = false;
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      if (!started) {
        started = true;
        sock.write(Buffer.concat([msg('R', int32(0)), msg('K', int32(4242, 1)), msg('Z', Buffer.from('I'))]));
      } else if (d[0] === 0x51 /* Q */) {
        sock.write(Buffer.concat([msg('W', Buffer.from([0, 0, 0])), msg('d', payload)]));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

test('a malformed keepalive or XLogData from a hostile server fails the stream; nothing throws out of the socket handler', async () => {
  for (const [what, payload] of [['keepalive', Buffer.from('k\x00\x01')], ['XLogData', Buffer.from('w\x00\x00\x00')], ['unknown', Buffer.from('?')]] as const) {
    const server = await fakeReplicationServer(payload);
    const port = (server.address() as net.AddressInfo).port;
    const stream = new ReplicationStream({ host: '127.0.0.1', port, database: 'x', user: 'u' }, 'test', logger);
    const failed = new Promise<Error>((resolve) => {
      stream.start('slot', 'pub', 0n, { onData: () => undefined, onKeepalive: () => undefined, onError: resolve }).catch(resolve);
    });
    const err = await failed;
    assert.match(err.message, what === 'unknown' ? /unknown replication message/ : new RegExp(`malformed ${what}`), `${what}: ${err.message}`);
    stream.destroy();
    await new Promise((r) => server.close(r));
  }
});

test('reader parameter "publication": a DBA\'s publication for a PostgreSQL source, refused elsewhere or malformed', () => {
  const script = (kind: string, publication: unknown) => JSON.stringify({
    type: 'realtime', steps: [
      { stepType: kind, category: 'reader', parameter: { publication, connection: [{ datasource: 's', table: ['db.t'] }] } },
      { stepType: 'postgresql', category: 'writer', parameter: { datasource: 'd' } }],
  });
  assert.equal(parseRealtimeTask(script('postgresql', 'cdc_orders')).reader.publication, 'cdc_orders');
  assert.equal(parseRealtimeTask(script('postgresql', undefined)).reader.publication, undefined);
  assert.throws(() => parseRealtimeTask(script('mysql', 'p')), /reader.parameter.publication applies to PostgreSQL sources only/);
  for (const bad of ['', 'x'.repeat(64), 7, 'a\u0000b']) {
    assert.throws(() => parseRealtimeTask(script('postgresql', bad)), /reader.parameter.publication must be the name of a publication/, JSON.stringify(bad));
  }
});

test('a walsender named for another cluster node is a lost owner\'s (no grace); this node\'s own or a single process\'s gets the grace', async () => {
  const { foreignOwner } = await import('../src/engine/sources/postgres/postgres-source.ts');
  assert.equal(foreignOwner('opendi:host-a:8080:17', 'opendi:host-b:8080:17'), true, 'another node (node ids hold a colon)');
  assert.equal(foreignOwner('opendi:host-a:8080:17', 'opendi:host-a:8080:17'), false, 'this node\'s previous pipeline');
  assert.equal(foreignOwner('opendi:task-17:source', 'opendi:task-17:source'), false, 'single process');
  assert.equal(foreignOwner('opendi:task-17:source', 'opendi:host-b:8080:17'), false, 'a single-process name is never foreign');
  assert.equal(foreignOwner('pg_recvlogical', 'opendi:host-b:8080:17'), false, 'not ours: the grace, then the usual rule');
  assert.equal(foreignOwner(null, 'opendi:host-b:8080:17'), false);
});

test('the server\'s WAL position is read once per second for all the tasks of one server; a failed read is not reused', async () => {
  let reads = 0;
  const read = (lsn: bigint) => async () => { reads++; return lsn; };
  const serverA = {}, serverB = {};
  const first = serverWalFlush(serverA, 1_000, read(10n), 5_000);
  // Other tasks of the same server within the second get the same sample and its time (they ask again a second after it).
  const again = serverWalFlush(serverA, 1_000, read(11n), 5_900);
  assert.equal(again, first);
  assert.equal(again.at, 5_000);
  assert.equal(await again.lsn, 10n);
  assert.equal(await serverWalFlush(serverB, 1_000, read(20n), 5_900).lsn, 20n, 'another server reads its own');
  assert.equal(await serverWalFlush(serverA, 1_000, read(12n), 6_000).lsn, 12n, 'a second after the sample: a new read');
  assert.equal(reads, 3);
  const failing = serverWalFlush(serverA, 1_000, async () => { throw new Error('server gone'); }, 7_000);
  await assert.rejects(failing.lsn, /server gone/);
  assert.equal(await serverWalFlush(serverA, 1_000, read(13n), 7_100).lsn, 13n, 'the failed read is forgotten: the next task reads again');
});
