/**
 * Rows the target rejected, with the database's error (ListDIJobDirtyRecords, an OpenDI extension:
 * read from the task's dirty-record table in the target). Read when the count the task reports
 * changes (and on the page's own refreshes of its count), a page at a time.
 */
import { useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll, useRefreshOn } from '../ui/use-poll.ts';
import { ErrorNote, InfoNote } from '../ui/notes.tsx';
import { Pager } from '../ui/pager.tsx';
import { formatTime } from '../ui/format.ts';

const PAGE_SIZE = 20;

interface DirtyRecord { Id: number; RecordedAt: number; TableName: string; Operation: string; RowKey: string; RowValues: string | null; ErrorMessage: string; Truncated: boolean }

export function DirtyRecords({ taskId, count }: { taskId: number; count: number }) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const records = usePoll((signal) => client.call('ListDIJobDirtyRecords', { DIJobId: taskId, PageNumber: page, PageSize: PAGE_SIZE }, signal), null, [client, taskId, page]);
  useRefreshOn(records, count);
  const list: DirtyRecord[] = records.data?.PagingInfo?.DirtyRecords ?? [];
  return (
    <section aria-labelledby="dirty-heading">
      <h2 id="dirty-heading">Dirty records</h2>
      {records.error ? <ErrorNote>Dirty records: {records.error}</ErrorNote> : null}
      {records.loads > 0 && list.length === 0 && !records.error ? <InfoNote>No dirty record: the target has accepted every row.</InfoNote> : null}
      {list.length > 0 ? (
        <div class="table-wrap">
          <table class="list dirty">
            <caption class="visually-hidden">Rows the target rejected</caption>
            <thead><tr><th scope="col">When</th><th scope="col">Table</th><th scope="col">Change</th><th scope="col">Key</th><th scope="col">Error</th><th scope="col">Row</th></tr></thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.Id}>
                  <td>{formatTime(d.RecordedAt)}</td>
                  <td><code>{d.TableName}</code></td>
                  <td>{d.Operation}</td>
                  <td><code class="wrap">{d.RowKey}</code></td>
                  <td class="wrap bad-text">{d.ErrorMessage}</td>
                  <td>{d.RowValues ? <details><summary>Values{d.Truncated ? ' (cut)' : ''}</summary><pre class="wrap">{d.RowValues}</pre></details> : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={page} pageSize={PAGE_SIZE} total={Number(records.data?.PagingInfo?.TotalCount ?? 0)} onPage={setPage} label="Dirty record" />
    </section>
  );
}
