/** The workspaces the signed-in principal may see (ListProjects: the API decides, as for any client). */
import { useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';
import { PageHeading } from '../ui/page-heading.tsx';
import { ErrorNote, InfoNote } from '../ui/notes.tsx';
import { Pager } from '../ui/pager.tsx';
import { hrefOf } from '../router.ts';

const PAGE_SIZE = 50;

interface Project { ProjectId: number; ProjectName: string; ProjectIdentifier: string; ProjectDescription: string; ProjectMode: number; GmtCreate: string }

export function WorkspacesPage() {
  const client = useClient();
  const [page, setPage] = useState(1);
  const list = usePoll((signal) => client.call('ListProjects', { PageNumber: page, PageSize: PAGE_SIZE }, signal), 30_000, [client, page]);
  const projects: Project[] = list.data?.PageResult?.ProjectList ?? [];
  return (
    <section>
      <PageHeading title="Workspaces" />
      {list.error ? <ErrorNote>{list.error}</ErrorNote> : null}
      {list.loads > 0 && projects.length === 0 && !list.error
        ? <InfoNote>No workspace is visible to this AccessKey. Create one with <code>npx opendi call CreateProject</code>, or ask an administrator to grant you one.</InfoNote>
        : null}
      {list.loads === 0 || projects.length > 0 ? (
        <div class="table-wrap">
          <table class="list" aria-busy={list.loads === 0}>
            <caption class="visually-hidden">Workspaces</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Identifier</th><th scope="col" class="num">Id</th><th scope="col">Mode</th><th scope="col">Description</th></tr></thead>
            <tbody>
              {projects.map((p) => (
                <tr key={p.ProjectId}>
                  <th scope="row"><a href={hrefOf.workspace(p.ProjectId)}>{p.ProjectName}</a></th>
                  <td><code>{p.ProjectIdentifier}</code></td>
                  <td class="num">{p.ProjectId}</td>
                  <td>{p.ProjectMode === 3 ? 'Standard' : 'Basic'}</td>
                  <td class="wrap">{p.ProjectDescription || ''}</td>
                </tr>
              ))}
              {list.loads === 0 ? <tr class="placeholder"><td colSpan={5}>Loading workspaces…</td></tr> : null}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={page} pageSize={PAGE_SIZE} total={list.data?.PageResult?.TotalCount ?? 0} onPage={setPage} label="Workspace" />
    </section>
  );
}
