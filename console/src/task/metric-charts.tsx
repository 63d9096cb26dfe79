/**
 * Delay and throughput over a chosen window, from the metric history the service samples
 * (ListDIJobMetrics). The window is read once; after that each refresh asks only for the points
 * newer than the last one held, and points that fall out of the window are dropped.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';
import { TimeChart } from '../chart/time-chart.tsx';
import { ErrorNote, InfoNote } from '../ui/notes.tsx';
import { formatRate, formatSeconds } from '../ui/format.ts';

export const WINDOWS = [
  { label: 'Last 15 minutes', seconds: 900 },
  { label: 'Last hour', seconds: 3_600 },
  { label: 'Last 6 hours', seconds: 21_600 },
  { label: 'Last 24 hours', seconds: 86_400 },
  { label: 'Last 7 days', seconds: 604_800 },
] as const;

const METRICS = ['delayTime', 'speedRecordsRead', 'speedRecordsWrite'] as const;
type Metric = (typeof METRICS)[number];
const REFRESH_MS = 5_000;

interface History { times: number[]; values: Record<Metric, (number | null)[]> }
const empty = (): History => ({ times: [], values: { delayTime: [], speedRecordsRead: [], speedRecordsWrite: [] } });

export function MetricCharts({ taskId }: { taskId: number }) {
  const client = useClient();
  const [windowSec, setWindowSec] = useState<number>(WINDOWS[0].seconds);
  const history = useRef<History>(empty());
  useEffect(() => { history.current = empty(); }, [taskId, windowSec]);

  const polled = usePoll(async (signal) => {
    const now = Math.floor(Date.now() / 1000);
    const h = history.current;
    const from = h.times.length > 0 ? h.times[h.times.length - 1] + 1 : now - windowSec;
    if (from <= now) {
      const r = await client.call('ListDIJobMetrics', { DIJobId: taskId, StartTime: from, EndTime: now, MetricName: [...METRICS] }, signal);
      merge(h, r.PagingInfo?.JobMetrics ?? []);
    }
    trim(h, now - windowSec);
    // New arrays each time, so the charts see a change.
    return { now, times: [...h.times], values: Object.fromEntries(METRICS.map((n) => [n, [...h.values[n]]])) as History['values'] };
  }, REFRESH_MS, [client, taskId, windowSec]);

  const now = polled.data?.now ?? Math.floor(Date.now() / 1000);
  const times = polled.data?.times ?? [];
  const v = polled.data?.values ?? empty().values;
  return (
    <section aria-labelledby="charts-heading" class="charts">
      <div class="section-head">
        <h2 id="charts-heading">Delay and throughput</h2>
        <label class="inline-field">Chart window
          <select value={windowSec} onChange={(e) => setWindowSec(Number(e.currentTarget.value))}>
            {WINDOWS.map((w) => <option key={w.seconds} value={w.seconds}>{w.label}</option>)}
          </select>
        </label>
      </div>
      {polled.error ? <ErrorNote>Metric history: {polled.error}</ErrorNote> : null}
      {polled.loads > 0 && times.length === 0 && !polled.error ? <InfoNote>No samples in this window yet: the service samples running tasks every few seconds.</InfoNote> : null}
      <div class="chart-grid">
        <TimeChart title="Delay" unit="seconds" times={times} fromSec={now - windowSec} toSec={now} format={formatSeconds}
          series={[{ label: 'Delay', values: v.delayTime, color: '#b45309' }]} />
        <TimeChart title="Throughput" unit="records per second" times={times} fromSec={now - windowSec} toSec={now} format={formatRate}
          series={[{ label: 'Read', values: v.speedRecordsRead, color: '#1d4ed8' }, { label: 'Written', values: v.speedRecordsWrite, color: '#047857' }]} />
      </div>
    </section>
  );
}

/** Joins the series of one answer (each its own time list) into the aligned history. */
function merge(h: History, metrics: { Name: string; SeriesList: { Time: number; Value: number }[] }[]): void {
  const byTime = new Map<number, Partial<Record<Metric, number>>>();
  for (const m of metrics) {
    if (!(METRICS as readonly string[]).includes(m.Name)) continue;
    for (const p of m.SeriesList ?? []) {
      const row = byTime.get(p.Time) ?? {};
      row[m.Name as Metric] = p.Value;
      byTime.set(p.Time, row);
    }
  }
  const last = h.times.length > 0 ? h.times[h.times.length - 1] : -Infinity;
  for (const t of [...byTime.keys()].sort((a, b) => a - b)) {
    if (t <= last) continue;
    h.times.push(t);
    for (const name of METRICS) h.values[name].push(byTime.get(t)![name] ?? null);
  }
}

function trim(h: History, fromSec: number): void {
  let drop = 0;
  while (drop < h.times.length && h.times[drop] < fromSec) drop++;
  if (drop === 0) return;
  h.times.splice(0, drop);
  for (const name of METRICS) h.values[name].splice(0, drop);
}
