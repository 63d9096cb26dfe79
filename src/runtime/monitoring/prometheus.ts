/**
 * `GET /metrics` in the Prometheus text exposition format, through prom-client (README
 * "Prometheus"). Per-task series carry `workspace_id`, `workspace`, `task_id` and `task`; they are
 * read at scrape time from the running pipelines and the catalog, so a scrape costs one catalog
 * read per task and nothing on the data path. Counters that restart with the process (failovers,
 * notifications, API requests) follow Prometheus' counter-reset convention.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TASK_STATUSES } from '../../domain/task-status.ts';
import type { PipelineMetrics } from '../../engine/pipeline.ts';
import type { LiveTotals } from './metric-sampler.ts';

export interface TaskView {
  projectId: number;
  workspace: string;
  taskId: number;
  name: string;
  status: string;
  live: PipelineMetrics | undefined;
  totals: LiveTotals | undefined;
  delaySeconds: number | null;
  dirtyRecords: number;
  failovers: number;
}

export interface MetricsSource {
  tasks(): Promise<TaskView[]>;
  firing(): { taskId: number; ruleId: number; severity: string }[];
  notifications(): { channel: string; outcome: string; count: number }[];
}

export interface RequestInfo { version?: string; action?: string; status: number | string; code?: string; ms: number }

export interface ServiceMetrics {
  registry: Registry;
  observeRequest(info: RequestInfo): void;
}

const TASK_LABELS = ['workspace_id', 'workspace', 'task_id', 'task'] as const;

export function createServiceMetrics(source: MetricsSource, knownActions: ReadonlySet<string>): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = (t: TaskView) => ({ workspace_id: String(t.projectId), workspace: t.workspace, task_id: String(t.taskId), task: t.name });
  let snapshot: Promise<TaskView[]> | undefined;
  // One catalog read per scrape, shared by every per-task metric (they are collected together).
  const tasks = () => snapshot ??= source.tasks().finally(() => setTimeout(() => { snapshot = undefined; }, 0));

  const perTask = <K extends 'counter' | 'gauge'>(kind: K, name: string, help: string, value: (t: TaskView) => number | null | undefined, extra: string[] = []) => {
    const Metric = kind === 'counter' ? Counter : Gauge;
    return new Metric({
      name, help, labelNames: [...TASK_LABELS, ...extra], registers: [registry],
      async collect() {
        this.reset();
        for (const t of await tasks()) {
          const v = value(t);
          if (v === null || v === undefined) continue;
          if (this instanceof Counter) this.inc(labels(t), v); else (this as Gauge).set(labels(t), v);
        }
      },
    });
  };
  perTask('counter', 'opendi_task_records_read_total', 'Records read from the source by the current instance (full load + incremental).', (t) => t.totals?.recordsRead);
  perTask('counter', 'opendi_task_records_written_total', 'Records written to the target by the current instance.', (t) => t.totals?.recordsWritten);
  perTask('counter', 'opendi_task_sink_seconds_total', 'Time the current instance spent writing to the target (building and running its statements, committing): a rate near 1 means the target side limits the task, near 0 its source (or no changes).',
    (t) => (t.live ? t.live.sinkMs / 1000 : undefined));
  perTask('gauge', 'opendi_task_delay_seconds', 'How far the target is behind the source (incremental phase only).', (t) => t.delaySeconds);
  perTask('gauge', 'opendi_task_dirty_records', 'Rows the target rejected and the task kept aside (dirty records).', (t) => t.dirtyRecords);
  perTask('counter', 'opendi_task_failovers_total', 'Automatic restarts after a recoverable error, since the service started.', (t) => t.failovers);
  perTask('gauge', 'opendi_task_full_load_tables_loaded', 'Tables whose initial load is complete.', (t) => t.live?.tablesLoaded);
  perTask('gauge', 'opendi_task_full_load_tables_total', 'Tables the task copies.', (t) => t.live?.tablesTotal);
  perTask('gauge', 'opendi_task_full_load_rows_loaded', 'Rows copied by the initial load.', (t) => t.live?.rowsLoaded);
  perTask('gauge', 'opendi_task_full_load_progress_ratio', 'Share of tables whose initial load is complete (1 once streaming).',
    (t) => !t.live ? undefined : t.live.phase === 'incremental' ? 1 : t.live.tablesTotal === 0 ? 0 : t.live.tablesLoaded / t.live.tablesTotal);
  new Gauge({
    name: 'opendi_task_status', help: 'The task instance status: 1 for the current one (NORUN, WAIT, RUN, KILLING, PAUSE, FAILED).',
    labelNames: [...TASK_LABELS, 'status'], registers: [registry],
    async collect() {
      this.reset();
      for (const t of await tasks()) for (const s of TASK_STATUSES) this.set({ ...labels(t), status: s }, t.status === s ? 1 : 0);
    },
  });
  new Gauge({
    name: 'opendi_alarm_firing', help: 'Alarm rules whose condition holds now, by severity.', labelNames: ['task_id', 'rule_id', 'severity'], registers: [registry],
    collect() {
      this.reset();
      for (const f of source.firing()) this.set({ task_id: String(f.taskId), rule_id: String(f.ruleId), severity: f.severity }, 1);
    },
  });
  new Counter({
    name: 'opendi_alarm_notifications_total', help: 'Alarm notifications by channel and outcome (Success, Fail, Silence) since the service started.',
    labelNames: ['channel', 'outcome'], registers: [registry],
    collect() {
      this.reset();
      for (const n of source.notifications()) this.inc({ channel: n.channel, outcome: n.outcome }, n.count);
    },
  });

  const requests = new Counter({ name: 'opendi_api_requests_total', help: 'API requests by version, action and error code ("" = success).', labelNames: ['version', 'action', 'code'], registers: [registry] });
  const durations = new Histogram({
    name: 'opendi_api_request_duration_seconds', help: 'API request handling time.', labelNames: ['version', 'action'], registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  return {
    registry,
    observeRequest(info) {
      // Unauthenticated callers can claim any action name: only actions of the spec become labels.
      const action = info.action && knownActions.has(info.action) ? info.action : 'other';
      const version = info.version && /^\d{4}-\d{2}-\d{2}$/.test(info.version) ? info.version : 'other';
      requests.inc({ version, action, code: info.code ?? (info.status === 200 ? '' : String(info.status)) });
      durations.observe({ version, action }, info.ms / 1000);
    },
  };
}
