/**
 * One task, live: status and counters (GetDISyncInstanceInfo every few seconds), what it moves
 * (GetDISyncTask), per-table progress, delay and throughput charts, events, dirty records, alarm
 * rules and the log, with Start / Stop / Terminate. Each section polls its own operation at its
 * own pace (README "Web console" gives the cost per refresh).
 */
import { useRef } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';
import { PageHeading } from '../ui/page-heading.tsx';
import { Breadcrumbs } from '../ui/breadcrumbs.tsx';
import { ErrorNote } from '../ui/notes.tsx';
import { hrefOf } from '../router.ts';
import { useWorkspace } from '../workspace/use-workspace.ts';
import { TaskActions } from '../task/task-actions.tsx';
import { TaskSummary, type InstanceInfo } from '../task/task-summary.tsx';
import { parseTaskDefinition } from '../task/task-definition.ts';
import { TableProgress } from '../task/table-progress.tsx';
import { MetricCharts } from '../task/metric-charts.tsx';
import { EventTimeline } from '../task/event-timeline.tsx';
import { DirtyRecords } from '../task/dirty-records.tsx';
import { AlarmRules } from '../task/alarm-rules.tsx';
import { TaskLog } from '../task/task-log.tsx';

const REFRESH_MS = 3_000;

export function TaskPage({ projectId, taskId }: { projectId: number; taskId: number }) {
  const client = useClient();
  const { workspace } = useWorkspace(projectId);
  const counters = useRef<{ rows: number; at: number; rate: number | null } | undefined>(undefined);
  const ids = { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: taskId };
  const info = usePoll(async (signal) => {
    const data = (await client.call('GetDISyncInstanceInfo', ids, signal)).Data as InstanceInfo;
    const rows = (data.Metrics?.RowsLoaded ?? 0) + (data.Metrics?.RowsApplied ?? 0);
    const at = Date.now();
    const before = counters.current;
    const running = data.Status === 'RUN' || data.Status === 'WAIT';
    const rate = !running ? 0 : before && rows >= before.rows && at > before.at ? ((rows - before.rows) * 1000) / (at - before.at) : before?.rate ?? null;
    counters.current = { rows, at, rate };
    return data;
  }, REFRESH_MS, [client, projectId, taskId]);
  const task = usePoll((signal) => client.call('GetDISyncTask', ids, signal), 60_000, [client, projectId, taskId]);

  const data = info.data;
  const name = data?.Name ?? `Task ${taskId}`;
  const definition = parseTaskDefinition(task.data?.Data?.Code);
  const loading = data?.Status === 'WAIT' || data?.Metrics?.Phase === 'FULL_LOAD';
  return (
    <section>
      <Breadcrumbs items={[{ label: workspace?.ProjectName ?? `Workspace ${projectId}`, href: hrefOf.workspace(projectId) }, { label: name }]} />
      <div class="page-head">
        <PageHeading title={name} />
        <TaskActions projectId={projectId} taskId={taskId} status={data?.Status} onChanged={info.refresh} />
      </div>
      {info.error ? <ErrorNote>{info.error}</ErrorNote> : null}
      <TaskSummary info={data} definition={definition} rate={counters.current?.rate ?? null} />
      <TableProgress taskId={taskId} projectId={projectId} loading={loading} />
      <MetricCharts taskId={taskId} />
      <EventTimeline taskId={taskId} changed={`${data?.Status}|${data?.Metrics?.AlertCount}|${data?.Metrics?.DirtyRecords}`} />
      <DirtyRecords taskId={taskId} count={data?.Metrics?.DirtyRecords ?? 0} />
      <AlarmRules taskId={taskId} />
      <TaskLog taskId={taskId} />
    </section>
  );
}
