/**
 * Full-load progress per table: the engine's per-table record (ListDIJobRunDetails: rows copied,
 * step statuses and errors) against the source's own row estimate (ListDataSourceTables, an OpenDI
 * extension: the statistics the database keeps, never a count(*)), with an ETA from the copy rate
 * seen between refreshes. An estimate is an estimate: a table still loading never shows 100%.
 */
import { useRef, useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';
import { ErrorNote, InfoNote } from '../ui/notes.tsx';
import { Pager } from '../ui/pager.tsx';
import { DASH, formatCount, formatPercent, formatSeconds } from '../ui/format.ts';
import type { ApiClient } from '../api/client.ts';

const PAGE_SIZE = 100;

interface RunInfo {
  SourceDatabaseName: string; SourceSchemaName: string; SourceTableName: string;
  DestinationDatabaseName: string; DestinationSchemaName: string; DestinationTableName: string;
  StructureMigrationStatus: string; StructureMigrationErrorMessage: string;
  FullMigrationStatus: string; FullMigrationErrorMessage: string;
  RealtimeMigrationStatus: string; RealtimeMigrationErrorMessage: string;
  OfflineTotalRecords: number; OfflineErrorRecords: number;
}

export function TableProgress({ taskId, projectId, loading }: { taskId: number; projectId: number; loading: boolean }) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const seen = useRef(new Map<string, { rows: number; at: number; rate: number | null }>());
  const details = usePoll(async (signal) => {
    const r = await client.call('ListDIJobRunDetails', { DIJobId: taskId, PageNumber: page, PageSize: PAGE_SIZE }, signal);
    const rows = (r.PagingInfo?.JobRunInfos ?? []) as RunInfo[];
    const at = Date.now();
    for (const row of rows) {
      const key = sourceName(row);
      const before = seen.current.get(key);
      const n = Number(row.OfflineTotalRecords);
      const instant = before && at > before.at && n >= before.rows ? ((n - before.rows) * 1000) / (at - before.at) : null;
      // Smoothed, so one slow chunk does not swing the ETA.
      const rate = instant === null ? before?.rate ?? null : before?.rate == null ? instant : before.rate * 0.6 + instant * 0.4;
      seen.current.set(key, { rows: n, at, rate });
    }
    return { rows, total: Number(r.PagingInfo?.TotalCount ?? rows.length) };
  }, loading ? 3_000 : 30_000, [client, taskId, page, loading]);
  const estimates = usePoll((signal) => estimateRows(client, projectId, taskId, signal), loading ? 30_000 : null, [client, projectId, taskId, loading]);

  const rows = details.data?.rows ?? [];
  return (
    <section aria-labelledby="tables-heading">
      <h2 id="tables-heading">Tables</h2>
      {details.error ? <ErrorNote>Per-table progress: {details.error}</ErrorNote> : null}
      {details.loads > 0 && rows.length === 0 && !details.error ? <InfoNote>No table has been selected yet.</InfoNote> : null}
      {details.loads === 0 || rows.length > 0 ? (
        <div class="table-wrap">
          <table class="list progress" aria-busy={details.loads === 0}>
            <caption class="visually-hidden">Full load and streaming per table</caption>
            <thead>
              <tr>
                <th scope="col">Source table</th><th scope="col">Target table</th><th scope="col">Full load</th>
                <th scope="col" class="num">Rows copied</th><th scope="col" class="num">Estimated rows</th>
                <th scope="col" class="progress-col">Progress</th><th scope="col" class="num">ETA</th><th scope="col">Streaming</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const name = sourceName(r);
                const estimate = estimates.data?.get(name);
                const copied = Number(r.OfflineTotalRecords);
                const done = r.FullMigrationStatus === 'Finished';
                const fraction = done ? 1 : estimate && estimate > 0 ? Math.min(0.99, copied / estimate) : null;
                const rate = seen.current.get(name)?.rate ?? null;
                const eta = !done && r.FullMigrationStatus === 'Running' && estimate && rate && rate > 0 ? Math.max(0, estimate - copied) / rate : null;
                const errors = [r.StructureMigrationErrorMessage, r.FullMigrationErrorMessage, r.RealtimeMigrationErrorMessage].filter(Boolean);
                return (
                  <tr key={name}>
                    <th scope="row"><code>{name}</code>{errors.length ? <div class="bad-text wrap">{errors.join('; ')}</div> : null}</th>
                    <td><code>{targetName(r)}</code></td>
                    <td>{stepWords(r.FullMigrationStatus)}</td>
                    <td class="num">{formatCount(copied)}</td>
                    <td class="num">{estimate === undefined ? DASH : `≈ ${formatCount(estimate)}`}</td>
                    <td class="progress-col">
                      <progress max={1} value={fraction ?? undefined} aria-label={`${name} full load progress`} />
                      <span class="num pct">{formatPercent(fraction)}</span>
                    </td>
                    <td class="num">{eta === null ? DASH : formatSeconds(eta)}</td>
                    <td>{stepWords(r.RealtimeMigrationStatus)}</td>
                  </tr>
                );
              })}
              {details.loads === 0 ? <tr class="placeholder"><td colSpan={8}>Loading tables…</td></tr> : null}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={page} pageSize={PAGE_SIZE} total={details.data?.total ?? 0} onPage={setPage} label="Table" />
    </section>
  );
}

function sourceName(r: RunInfo): string {
  return [r.SourceSchemaName || r.SourceDatabaseName, r.SourceTableName].filter(Boolean).join('.');
}

function targetName(r: RunInfo): string {
  return [r.DestinationSchemaName || r.DestinationDatabaseName, r.DestinationTableName].filter(Boolean).join('.') || DASH;
}

function stepWords(s: string): string {
  return ({ Initialized: 'Not started', Running: 'Running', Finished: 'Done', Failed: 'Failed', Stopped: 'Stopped' } as Record<string, string>)[s] ?? s ?? DASH;
}

/** schema.table -> the source's row estimate, for the tables the job selects. */
async function estimateRows(client: ApiClient, projectId: number, taskId: number, signal: AbortSignal): Promise<Map<string, number>> {
  const job = (await client.call('GetDIJob', { Id: taskId, ProjectId: projectId }, signal)).PagingInfo;
  const out = new Map<string, number>();
  const source = job?.SourceDataSourceSettings?.[0]?.DataSourceName;
  if (!source) return out;
  for (let page = 1; page <= 10; page++) {
    const r = (await client.call('ListDataSourceTables', {
      ProjectId: projectId, DataSourceName: source, TableMappings: job.TableMappings ?? [], SelectedOnly: true, PageNumber: page, PageSize: 1000,
    }, signal)).PagingInfo;
    for (const t of r.Tables ?? []) out.set(`${t.SchemaName || t.DatabaseName}.${t.TableName}`, Number(t.EstimatedRows));
    if (page * 1000 >= Number(r.TotalCount)) break;
  }
  return out;
}
