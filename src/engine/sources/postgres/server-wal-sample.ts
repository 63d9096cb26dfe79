/**
 * The source server's WAL flush position, read at most once per `maxAgeMs` for all the tasks
 * streaming from one server: every task samples it once a second to tell "caught up" from "the
 * walsender is still decoding" (SourceClock.serverAhead, postgres-source.ts). One sample per task
 * made 100 tasks on one server send 100 identical queries a second, and their overlap kept several
 * server-pool connections open (docs/performance.md, "Many tasks on one service"); a task reusing
 * a sample at most `maxAgeMs` old sees the server no later than its own sample a second ago would,
 * and asks again `maxAgeMs` after that sample was taken (`at`), so no task's view gets older.
 *
 * Keyed by the shared server pool (control-pools.ts), so the sample lives as long as that pool; a
 * failed read is forgotten at once, so the next task to ask reads again.
 */
export interface WalSample { at: number; lsn: Promise<bigint> }

const recent = new WeakMap<object, WalSample>();

export function serverWalFlush(server: object, maxAgeMs: number, read: () => Promise<bigint>, now = Date.now()): WalSample {
  const last = recent.get(server);
  if (last && now - last.at < maxAgeMs) return last;
  const sample = { at: now, lsn: read() };
  recent.set(server, sample);
  sample.lsn.catch(() => { if (recent.get(server) === sample) recent.delete(server); });
  return sample;
}
