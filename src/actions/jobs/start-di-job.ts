/**
 * StartDIJob (2024-05-18; README, "The 2024-05-18 DI Job API"): every start is a new instance.
 * - Without options it resumes from the checkpoint (or, first time, loads then streams).
 * - RealtimeStartSettings.StartTime (unix seconds): stream from the first source transaction
 *   committed at or after it instead of the checkpoint, with no full load. MySQL sources find it in
 *   the binlog; a PostgreSQL source cannot (its slot keeps no history to search), a 400.
 * - RealtimeStartSettings.FailoverSettings (deprecated) gives this run's failover limit; else the
 *   job's failover RuntimeSettings; else the 2020 default.
 * - ForceToRerun: the checkpoint and the source-side resources are discarded (TerminateDISyncInstance's
 *   release), then the run starts from scratch: the target tables are dropped and created again
 *   (structure), the rows loaded again (full, for FullAndRealtimeIncremental), then streamed.
 * Start of a running job succeeds and changes nothing (as StartDISyncInstance); asking a running
 * job for StartTime or ForceToRerun is a 400, since it would be silently ignored otherwise.
 */
import type { Action } from '../action-handler.ts';
import { jobOperationFailed, jobStatusInvalid, paramInvalid } from '../../protocol/errors.ts';
import { DEFAULT_START_PARAM, parseStartParam } from '../../domain/start-param.ts';
import { ACTIVE_STATUSES } from '../../domain/task-status.ts';
import { engineSettings } from '../../domain/di-job/job-settings.ts';
import { SOURCE_TYPES, findEndpointType } from '../../domain/di-job/job-types.ts';
import type { ActionDeps } from '../action-deps.ts';
import { loadJob } from './load-job.ts';

export const startDIJob: Action<'2024-05-18', 'StartDIJob'> = async (deps, ctx) => {
  const { file, doc, row } = await loadJob(deps, ctx);
  const settings = ctx.params.RealtimeStartSettings ?? {};
  const rerun = ctx.params.ForceToRerun === true;
  const startTime = settings.StartTime;
  if (startTime !== undefined) {
    if (!Number.isSafeInteger(startTime) || startTime < 0) throw paramInvalid('RealtimeStartSettings.StartTime', 'must be unix seconds');
    if (findEndpointType(SOURCE_TYPES, doc.SourceDataSourceType)?.protocol === 'postgresql') {
      throw paramInvalid('RealtimeStartSettings.StartTime', 'cannot be used with a PostgreSQL source: a replication slot keeps no history to search by time; '
        + 'start without it to resume from the checkpoint, or with ForceToRerun to copy everything again');
    }
  }
  const rt = await deps.lifecycle.runtime(file.id);
  const running = (ACTIVE_STATUSES as string[]).includes(rt.status);
  if (running && (rerun || startTime !== undefined)) {
    throw jobStatusInvalid(`the DI job ${file.id} is running; stop it (StopDIJob) before starting it ${rerun ? 'with ForceToRerun' : 'from a StartTime'}`);
  }

  const failover = settings.FailoverSettings;
  const limit = failover && (failover.UpperLimit !== undefined || failover.Interval !== undefined)
    ? { count: failover.UpperLimit ?? DEFAULT_START_PARAM.failoverLimit.count, interval: failover.Interval ?? DEFAULT_START_PARAM.failoverLimit.interval }
    : engineSettings(doc.JobSettings, DEFAULT_START_PARAM.failoverLimit).failoverLimit ?? DEFAULT_START_PARAM.failoverLimit;
  const text = JSON.stringify({ failoverLimit: limit, ...(startTime !== undefined ? { startPosition: { timestamp: startTime * 1000 } } : {}) });
  let startParam;
  try { startParam = parseStartParam(text); } catch (err) { throw paramInvalid('RealtimeStartSettings.FailoverSettings', (err as Error).message); }

  if (rerun) {
    const deployed = { content: file.deployedContent, version: file.deployedVersion };
    const released = await deps.lifecycle.terminate(file.id);
    if (!released.ok) throw jobOperationFailed(released.message ?? `the DI job ${file.id} could not discard its checkpoint`);
    // Terminate also undeploys; a job stays deployed (2024 has no deploy step).
    await deps.store.setDeployed(file.id, deployed.content, deployed.version);
    if (row) await deps.store.markDIJobRerun(file.id);
  }
  const outcome = await deps.lifecycle.start(file.id, startParam, text);
  if (!outcome.ok) throw jobStatusInvalid(outcome.message ?? `the DI job ${file.id} could not be started`);
  return { Success: true };
};
