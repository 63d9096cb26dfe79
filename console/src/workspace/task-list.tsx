/**
 * The workspace's real-time tasks, whichever API made them (2020 tasks and 2024 jobs are the same
 * files, FileType 900): ListFiles for the list, GetDISyncInstanceInfo per task for status, phase,
 * delay and row counters (records/s is the change of the counters between two refreshes), and the
 * newest notable event per task from ListDIJobEvents (failover, DDL, alarm, dirty rows, warning;
 * status changes show in the Status column), read every minute and at once when a status changes.
 */
import { useRef, useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll, useRefreshOn } from '../ui/use-poll.ts';
import { mapLimit } from '../ui/map-limit.ts';
import { describeError } from '../api/client.ts';
import { StatusBadge } from '../ui/status-badge.tsx';
import { ErrorNote, InfoNote } from '../ui/notes.tsx';
import { Pager } from '../ui/pager.tsx';
import { DASH, formatClock, formatRate, formatSeconds } from '../ui/format.ts';
import { hrefOf } from '../router.ts';
import { EVENT_TYPES, listEvents, type TaskEvent } from '../task/events.ts';

const PAGE_SIZE = 50;
const REFRESH_MS = 5_000;
const EVENTS_REFRESH_MS = 60_000;
const EVENTS_WINDOW_SEC = 7 * 86_400;
const NOTABLE = EVENT_TYPES.filter((t) => t !== 'Status');

interface TaskRow {
  fileId: number;
  name: string;
  status?: string;
  phase?: string | null;
  delay?: number | null;
  rate?: number | null;
  error?: string;
}

export function TaskList({ projectId }: { projectId: number }) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const counters = useRef(new Map<number, { rows: number; at: number }>());
  const list = usePoll(async (signal) => {
    const files = await client.call('ListFiles', { ProjectId: projectId, FileTypes: '900', PageNumber: page, PageSize: PAGE_SIZE }, signal);
    const rows = await mapLimit(files.Data.Files as { FileId: number; FileName: string }[], 6, async (f): Promise<TaskRow> => {
      try {
        const info = (await client.call('GetDISyncInstanceInfo', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: f.FileId }, signal)).Data;
        const m = info.Metrics ?? {};
        const rowsNow = (m.RowsLoaded ?? 0) + (m.RowsApplied ?? 0);
        const at = Date.now();
        const before = counters.current.get(f.FileId);
        counters.current.set(f.FileId, { rows: rowsNow, at });
        const running = info.Status === 'RUN' || info.Status === 'WAIT';
        const rate = !running ? 0 : before && rowsNow >= before.rows && at > before.at ? ((rowsNow - before.rows) * 1000) / (at - before.at) : null;
        return { fileId: f.FileId, name: f.FileName, status: info.Status, phase: m.Phase, delay: m.DelaySeconds, rate };
      } catch (err) {
        return { fileId: f.FileId, name: f.FileName, error: describeError(err) };
      }
    });
    return { rows, total: files.Data.TotalCount as number };
  }, REFRESH_MS, [client, projectId, page]);

  const ids = (list.data?.rows ?? []).map((r) => r.fileId).join(',');
  const events = usePoll(async (signal) => {
    const now = Math.floor(Date.now() / 1000);
    const out = new Map<number, TaskEvent | undefined>();
    await mapLimit(ids ? ids.split(',').map(Number) : [], 3, async (id) => {
      out.set(id, (await listEvents(client, id, NOTABLE, now - EVENTS_WINDOW_SEC, now, 1, signal))[0]);
    });
    return out;
  }, EVENTS_REFRESH_MS, [client, ids]);
  useRefreshOn(events, (list.data?.rows ?? []).map((r) => r.status).join(','));
  const eventsUnserved = events.error !== undefined && events.data === undefined;

  const rows = list.data?.rows ?? [];
  return (
    <section aria-labelledby="tasks-heading">
      <h2 id="tasks-heading">Real-time tasks</h2>
      {list.error ? <ErrorNote>{list.error}</ErrorNote> : null}
      {list.loads > 0 && rows.length === 0 && !list.error ? <InfoNote>No real-time task yet. <a href={hrefOf.newJob(projectId)}>Create a job</a>, or create one through the API.</InfoNote> : null}
      {list.loads === 0 || rows.length > 0 ? (
        <div class="table-wrap">
          <table class="list tasks stack" aria-busy={list.loads === 0}>
            <caption class="visually-hidden">Real-time tasks, refreshed every {REFRESH_MS / 1000} seconds</caption>
            <thead>
              <tr>
                <th scope="col">Task</th><th scope="col">Status</th><th scope="col">Phase</th>
                <th scope="col" class="num">Delay</th><th scope="col" class="num">Records/s</th><th scope="col">Last event</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const ev = events.data?.get(r.fileId);
                return (
                  <tr key={r.fileId} data-task-id={r.fileId}>
                    <th scope="row"><a href={hrefOf.task(projectId, r.fileId)}>{r.name}</a> <span class="muted">#{r.fileId}</span></th>
                    <td data-label="Status">{r.error ? <span class="bad-text">{r.error}</span> : <StatusBadge status={r.status} />}</td>
                    <td data-label="Phase">{phaseWords(r.phase)}</td>
                    <td class="num" data-label="Delay">{formatSeconds(r.delay)}</td>
                    <td class="num" data-label="Records/s">{formatRate(r.rate)}</td>
                    <td class="event-cell" data-label="Last event">{ev ? <span title={ev.detail}>{formatClock(ev.time)} {ev.summary}</span> : eventsUnserved ? <span class="muted" title={events.error}>unavailable</span> : DASH}</td>
                  </tr>
                );
              })}
              {list.loads === 0 ? <tr class="placeholder"><td colSpan={6}>Loading tasks…</td></tr> : null}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={page} pageSize={PAGE_SIZE} total={list.data?.total ?? 0} onPage={setPage} label="Task" />
    </section>
  );
}

export function phaseWords(phase: string | null | undefined): string {
  return phase === 'FULL_LOAD' ? 'Full load' : phase === 'INCREMENTAL' ? 'Incremental' : DASH;
}

