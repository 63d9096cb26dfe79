/** A workspace: its real-time tasks and its data sources. */
import { PageHeading } from '../ui/page-heading.tsx';
import { Breadcrumbs } from '../ui/breadcrumbs.tsx';
import { ErrorNote } from '../ui/notes.tsx';
import { hrefOf } from '../router.ts';
import { useWorkspace } from '../workspace/use-workspace.ts';
import { TaskList } from '../workspace/task-list.tsx';
import { DataSourceList } from '../workspace/data-source-list.tsx';

export function WorkspacePage({ projectId }: { projectId: number }) {
  const { workspace, error } = useWorkspace(projectId);
  const name = workspace?.ProjectName ?? `Workspace ${projectId}`;
  return (
    <section>
      <Breadcrumbs items={[{ label: name }]} />
      <div class="page-head">
        <PageHeading title={name} />
        <a class="button primary" href={hrefOf.newJob(projectId)}>Create a job</a>
      </div>
      {error ? <ErrorNote>{error}</ErrorNote> : null}
      <TaskList projectId={projectId} />
      <DataSourceList projectId={projectId} />
    </section>
  );
}
