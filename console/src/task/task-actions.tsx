/**
 * Start, Stop and Terminate, through the 2020 instance operations (StartDISyncInstance,
 * StopDISyncInstance, TerminateDISyncInstance), which serve tasks made by either API. Stop and
 * Terminate ask first; Start asks how many dirty records to tolerate (StartParam errorLimit).
 * The API's answer is shown as it came (`Data.Status` fail carries the reason in `Data.Message`).
 */
import { useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { describeError } from '../api/client.ts';
import { ConfirmDialog } from '../ui/confirm-dialog.tsx';

type Action = 'start' | 'stop' | 'terminate';

const CALLS = { start: 'StartDISyncInstance', stop: 'StopDISyncInstance', terminate: 'TerminateDISyncInstance' } as const;
const DONE = { start: 'Start requested: the task is starting.', stop: 'Stopped: the task resumes from its checkpoint on the next start.', terminate: 'Terminated: the checkpoint and source resources were released.' };

export function TaskActions({ projectId, taskId, status, onChanged }: { projectId: number; taskId: number; status: string | undefined; onChanged(): void }) {
  const client = useClient();
  const [asking, setAsking] = useState<Action | null>(null);
  const [busy, setBusy] = useState<Action | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string; deploy?: boolean }>();
  const [errorLimit, setErrorLimit] = useState('0');

  const run = async (action: Action, deployFirst = false) => {
    setAsking(null);
    setBusy(action);
    setOutcome(undefined);
    try {
      if (deployFirst) {
        const d = await client.call('DeployDISyncTask', { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: taskId });
        if (d.Data?.Status !== 'success') throw new Error(`DeployDISyncTask failed: ${d.Data?.Message ?? 'no reason given'}`);
      }
      const extra = action === 'start' ? { StartParam: { errorLimit: { record: Number(errorLimit) } } } : {};
      const r = await client.call(CALLS[action], { ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: taskId, ...extra });
      const ok = r.Data?.Status === 'success';
      const message = String(r.Data?.Message ?? 'no reason given');
      setOutcome({ ok, text: ok ? DONE[action] : `${CALLS[action]} failed: ${message}`, deploy: !ok && action === 'start' && /not deployed/.test(message) });
    } catch (err) {
      setOutcome({ ok: false, text: `${CALLS[action]} failed: ${describeError(err)}` });
    } finally {
      setBusy(null);
      onChanged();
    }
  };

  const known = status !== undefined;
  const canStart = known && ['NORUN', 'PAUSE', 'FAILED'].includes(status);
  const canStop = known && ['RUN', 'WAIT'].includes(status);
  const canTerminate = known && status !== 'NORUN' && status !== 'KILLING';
  const limitValid = /^\d{1,9}$/.test(errorLimit);
  return (
    <div class="task-actions">
      <div class="button-row" role="group" aria-label="Task actions">
        <button type="button" class="primary" disabled={!canStart || busy !== null} onClick={() => setAsking('start')}>{busy === 'start' ? 'Starting…' : 'Start'}</button>
        <button type="button" disabled={!canStop || busy !== null} onClick={() => setAsking('stop')}>{busy === 'stop' ? 'Stopping…' : 'Stop'}</button>
        <button type="button" class="danger" disabled={!canTerminate || busy !== null} onClick={() => setAsking('terminate')}>{busy === 'terminate' ? 'Terminating…' : 'Terminate'}</button>
      </div>
      <div role="status" class="slot action-outcome">
        {outcome ? <span class={outcome.ok ? 'good-text' : 'bad-text'}>{outcome.text}</span> : null}
        {outcome?.deploy ? <button type="button" onClick={() => void run('start', true)}>Deploy and start</button> : null}
      </div>
      {asking === 'start' ? (
        <ConfirmDialog title="Start the task" confirmLabel="Start task" onCancel={() => setAsking(null)} onConfirm={() => { if (limitValid) void run('start'); }}>
          <p>A stopped task resumes from its checkpoint; a new or terminated one begins with its full load when it has one.</p>
          <label for="start-error-limit">Dirty records tolerated</label>
          <input id="start-error-limit" type="number" min="0" step="1" inputMode="numeric" value={errorLimit} onInput={(e) => setErrorLimit(e.currentTarget.value)} aria-describedby="start-error-limit-help" />
          <p id="start-error-limit-help" class="fine">Rows the target rejects are kept with their error and skipped; one more than this number fails the task. 0 fails it on the first.</p>
          {limitValid ? null : <p class="note note-error" role="alert">Enter a whole number of 0 or more.</p>}
        </ConfirmDialog>
      ) : null}
      {asking === 'stop' ? (
        <ConfirmDialog title="Stop the task?" confirmLabel="Stop task" onCancel={() => setAsking(null)} onConfirm={() => void run('stop')}>
          <p>The task stops reading its source after committing what it has read with its position. Changes made meanwhile wait in the source; Start resumes from the checkpoint, so nothing is lost or applied twice.</p>
        </ConfirmDialog>
      ) : null}
      {asking === 'terminate' ? (
        <ConfirmDialog title="Terminate the task?" confirmLabel="Terminate task" danger onCancel={() => setAsking(null)} onConfirm={() => void run('terminate')}>
          <p>Terminate stops the task and <strong>discards its checkpoint</strong>, releasing its replication slot (PostgreSQL) or binlog reader (MySQL), and undeploys it. Deployed and started again, it begins afresh, with its full load if it has one. The rows already in the target stay.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
