/**
 * Tearing down a binlog dump on the server side. A dump thread notices that its client went away
 * only when it next writes (an idle one: at the next heartbeat; a frozen network: never), and the
 * server keeps it until then. So after dropping our socket we KILL our thread and wait until
 * PROCESSLIST no longer shows it. Used by the source's close/destroy and by the time scan's
 * short-lived dumps.
 */
import type { Logger } from '../../../logger.ts';
import type { DbEndpoint } from '../../endpoint.ts';
import { delay } from '../../mysql/connection.ts';
import { openControlConnection } from './control-connection.ts';
import type { Queryable } from './table-info.ts';

/** Our server thread: its id, and PROCESSLIST.HOST as the server saw our connection (tells it from a namesake). */
export interface DumpThread { threadId: number; peer: string }

/**
 * KILLs the server thread of a dump connection we dropped, so the server lets go of it now (it
 * would notice only at its next write). Thread ids restart with the server: after a restart the
 * same id may be somebody else's connection, so it is killed only while PROCESSLIST shows it
 * coming from the host:port the server saw for our connection.
 */
export async function killDumpThread(control: Queryable, thread: DumpThread): Promise<void> {
  if (!thread.threadId) return;
  const [rows] = await control.query('SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE ID = ?', [thread.threadId]);
  const host = String((rows as { host: string }[])[0]?.host ?? '');
  if (!thread.peer || host !== thread.peer) return;
  await control.query(`KILL CONNECTION ${Number(thread.threadId)}`).catch(() => undefined);
}

/** KILLs the thread, then waits until PROCESSLIST no longer shows it; `forced` when `deadline` (epoch ms) passed first. */
export async function releaseDumpThread(control: Queryable, thread: DumpThread, deadline: number, logger: Logger): Promise<{ forced: boolean }> {
  if (!thread.threadId) return { forced: false };
  await killDumpThread(control, thread).catch(() => undefined);
  for (;;) {
    const [rows] = await control.query('SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ?', [thread.threadId]);
    if ((rows as unknown[]).length === 0) return { forced: false };
    if (Date.now() > deadline) { logger.warn('the binlog dump thread did not go away in time', { threadId: thread.threadId }); return { forced: true }; }
    await delay(20);
  }
}

/** destroy(): KILLs the thread from a connection of its own (the control connection may be the broken one); never throws. */
export async function killDumpThreadNow(endpoint: DbEndpoint, thread: DumpThread, logger: Logger, timeoutMs?: number): Promise<void> {
  if (!thread.threadId) return;
  try {
    const k = await openControlConnection(endpoint, (err) => logger.warn('the connection that kills a dump thread failed', { error: err }), timeoutMs);
    await killDumpThread(k, thread).catch(() => undefined);
    await k.end();
  } catch (err) { logger.warn('could not kill the binlog dump thread', { error: err }); }
}
