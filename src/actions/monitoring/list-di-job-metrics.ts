/**
 * ListDIJobMetrics (2024-05-18, spec/di-api-audit.md section 4.2): the job's sampled series in
 * [StartTime, EndTime] (unix seconds), one entry per requested MetricName, `Name` echoing the name
 * asked for. Raw samples where they are still kept, minute rows before (downsampled after a day),
 * and never more than MAX_POINTS points per series (coarser buckets for long ranges).
 */
import { paramInvalid } from '../../protocol/errors.ts';
import type { ActionDeps } from '../action-deps.ts';
import type { Action } from '../action-handler.ts';
import { requireJob } from '../require-job.ts';
import { METRIC_NAMES, limitPoints, seriesOf, type MetricName } from '../../runtime/monitoring/metric-series.ts';
import { timeRange } from './time-range.ts';

const MAX_POINTS = 2_000;
const MINUTE = 60;

export const listDIJobMetrics: Action<'2024-05-18', 'ListDIJobMetrics'> = async (deps, ctx) => {
  const p = ctx.params;
  if (p.DIJobId === undefined) throw paramInvalid('DIJobId', 'is mandatory for this action');
  const job = await requireJob(deps, ctx, p.DIJobId);
  const { fromSec, toSec } = timeRange(p);
  const names = p.MetricName;
  if (names.length === 0) throw paramInvalid('MetricName', `must name at least one metric (${METRIC_NAMES.join(', ')})`);
  names.forEach((n, i) => {
    if (!(METRIC_NAMES as readonly string[]).includes(n)) throw paramInvalid(`MetricName.${i + 1}`, `must be one of ${METRIC_NAMES.join(', ')}; got ${JSON.stringify(n).slice(0, 80)}`);
  });
  const raw = Math.round(deps.monitor.config.sampleIntervalMs / 1000);
  const [older, recent] = await Promise.all([
    deps.store.monitoring.listMetricSamples(job.id, MINUTE, fromSec, toSec),
    raw === MINUTE ? Promise.resolve([]) : deps.store.monitoring.listMetricSamples(job.id, raw, fromSec, toSec),
  ]);
  const samples = limitPoints([...older, ...recent].sort((a, b) => a.ts - b.ts), fromSec, toSec, MAX_POINTS);
  return { PagingInfo: { JobMetrics: names.map((name) => ({ Name: name, SeriesList: seriesOf(name as MetricName, samples) })) } };
};
