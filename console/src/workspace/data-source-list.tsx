/**
 * The workspace's data sources (ListDataSources) with a Test connection button per data source
 * (TestDataSourceConnectivity, run by the service against the database, on the resource group
 * ListResourceGroups names). The result says which step failed and why, in the API's words.
 */
import { useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';
import { describeError, type ApiClient } from '../api/client.ts';
import { ErrorNote, InfoNote } from '../ui/notes.tsx';
import { Pager } from '../ui/pager.tsx';

const PAGE_SIZE = 100;

interface DataSource { Id: number; Name: string; DataSourceType: string; EnvType: number; Content: string; Description: string }
interface Probe { busy: boolean; state?: string; message?: string; steps?: { Code: string; Message: string }[] }

export function DataSourceList({ projectId }: { projectId: number }) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const [probes, setProbes] = useState<Record<number, Probe>>({});
  const list = usePoll((signal) => client.call('ListDataSources', { ProjectId: projectId, PageNumber: page, PageSize: PAGE_SIZE }, signal), 60_000, [client, projectId, page]);
  const sources: DataSource[] = list.data?.Data?.DataSources ?? [];

  const test = async (ds: DataSource) => {
    setProbes((p) => ({ ...p, [ds.Id]: { busy: true } }));
    let result: Probe;
    try {
      const r = (await client.call('TestDataSourceConnectivity', { ProjectId: projectId, DataSourceId: ds.Id, ResourceGroupId: await resourceGroupOf(client) })).Connectivity;
      result = { busy: false, state: r.ConnectState, message: r.ConnectMessage, steps: r.DetailLogs };
    } catch (err) {
      result = { busy: false, state: 'Error', message: describeError(err) };
    }
    setProbes((p) => ({ ...p, [ds.Id]: result }));
  };

  return (
    <section aria-labelledby="sources-heading">
      <h2 id="sources-heading">Data sources</h2>
      {list.error ? <ErrorNote>{list.error}</ErrorNote> : null}
      {list.loads > 0 && sources.length === 0 && !list.error ? <InfoNote>No data source yet: create them through the API (<code>CreateDataSource</code>).</InfoNote> : null}
      {list.loads === 0 || sources.length > 0 ? (
        <div class="table-wrap">
          <table class="list sources stack" aria-busy={list.loads === 0}>
            <caption class="visually-hidden">Data sources</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Environment</th><th scope="col">Address</th><th scope="col">Connection</th></tr></thead>
            <tbody>
              {sources.map((ds) => {
                const probe = probes[ds.Id];
                return (
                  <tr key={ds.Id} data-source-id={ds.Id}>
                    <th scope="row" id={`ds-${ds.Id}`}>{ds.Name}</th>
                    <td data-label="Type">{ds.DataSourceType}</td>
                    <td data-label="Environment">{ds.EnvType === 0 ? 'Development' : 'Production'}</td>
                    <td data-label="Address"><code class="nowrap">{addressOf(ds.Content)}</code></td>
                    <td class="probe" data-label="Connection">
                      <button type="button" aria-describedby={`ds-${ds.Id}`} disabled={probe?.busy} onClick={() => test(ds)}>Test connection</button>
                      <div role="status" class="probe-result">{probe ? <ProbeResult probe={probe} /> : null}</div>
                    </td>
                  </tr>
                );
              })}
              {list.loads === 0 ? <tr class="placeholder"><td colSpan={5}>Loading data sources…</td></tr> : null}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={page} pageSize={PAGE_SIZE} total={list.data?.Data?.TotalCount ?? 0} onPage={setPage} label="Data source" />
    </section>
  );
}

function ProbeResult({ probe }: { probe: Probe }) {
  if (probe.busy) return <span class="muted">Testing…</span>;
  const ok = probe.state === 'Connectable';
  return (
    <span class={ok ? 'good-text' : 'bad-text'}>
      {ok ? 'Connectable' : `${probe.state}: ${probe.message || 'no details'}`}
      {probe.steps?.length ? (
        <details class="steps"><summary>Steps</summary><ol>{probe.steps.map((s, i) => <li key={i}><code>{s.Code}</code> {s.Message}</li>)}</ol></details>
      ) : null}
    </span>
  );
}

/** host:port/database from the data source's jdbcUrl (the password is never in the list). */
export function addressOf(content: string): string {
  try {
    const url = String(JSON.parse(content).jdbcUrl ?? '');
    return url.replace(/^jdbc:(mysql|postgresql):\/\//, '').replace(/\?.*$/, '');
  } catch {
    return '';
  }
}

const groups = new WeakMap<ApiClient, Promise<string>>();

/** The resource group the service runs tests on (ListResourceGroups), asked once per sign-in. */
export function resourceGroupOf(client: ApiClient): Promise<string> {
  let p = groups.get(client);
  if (!p) {
    p = client.call('ListResourceGroups', { ResourceGroupType: 4 })
      .then((r) => String(r.Data?.[0]?.Identifier ?? 'default'), () => 'default');
    groups.set(client, p);
  }
  return p;
}
