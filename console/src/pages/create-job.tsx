/**
 * The job wizard: source and target, tables, options, review; then CreateDIJob (2024-05-18) and,
 * when asked, StartDISyncInstance with the chosen dirty-record tolerance (the 2020 start takes it
 * as StartParam errorLimit; the job Id is the task's FileId). Each step checks itself before Next.
 */
import { useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';
import { describeError } from '../api/client.ts';
import { PageHeading } from '../ui/page-heading.tsx';
import { Breadcrumbs } from '../ui/breadcrumbs.tsx';
import { ErrorNote } from '../ui/notes.tsx';
import { hrefOf, navigate } from '../router.ts';
import { useWorkspace } from '../workspace/use-workspace.ts';
import { createJobParams, emptyDraft, stepProblem, type Draft } from '../wizard/draft.ts';
import { StepEndpoints, type DataSourceOption } from '../wizard/step-endpoints.tsx';
import { StepTables } from '../wizard/step-tables.tsx';
import { StepOptions } from '../wizard/step-options.tsx';
import { StepReview } from '../wizard/step-review.tsx';

const STEPS = ['Source and target', 'Tables', 'Options', 'Review'];

export function CreateJobPage({ projectId }: { projectId: number }) {
  const client = useClient();
  const { workspace } = useWorkspace(projectId);
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [step, setStep] = useState(0);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const update = (d: Partial<Draft>) => { setDraft((old) => ({ ...old, ...d })); setProblem(undefined); };

  const sourcesPoll = usePoll((signal) => client.call('ListDataSources', { ProjectId: projectId, PageSize: 100 }, signal), null, [client, projectId]);
  const sources = dataSourceOptions(sourcesPoll.data?.Data?.DataSources ?? []);

  const next = () => {
    const p = stepProblem(step, draft);
    if (p) { setProblem(p); return; }
    setStep(step + 1);
  };
  const create = async () => {
    setProblem(undefined);
    setBusy('Creating the job…');
    try {
      const created = await client.call('CreateDIJob', createJobParams(draft, projectId));
      const id = Number(created.Id);
      if (draft.startAfter) {
        setBusy('Starting the job…');
        const started = await client.call('StartDISyncInstance', {
          ProjectId: projectId, TaskType: 'DI_REALTIME', FileId: id, StartParam: { errorLimit: { record: Number(draft.errorLimit) } },
        });
        if (started.Data?.Status !== 'success') throw new Error(`The job ${id} was created, but it did not start: ${started.Data?.Message}`);
      }
      navigate(hrefOf.task(projectId, id));
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setBusy(undefined);
    }
  };

  const name = workspace?.ProjectName ?? `Workspace ${projectId}`;
  return (
    <section>
      <Breadcrumbs items={[{ label: name, href: hrefOf.workspace(projectId) }, { label: 'Create a job' }]} />
      <PageHeading title="Create a job" />
      <ol class="steps">
        {STEPS.map((s, i) => <li key={s} aria-current={i === step ? 'step' : undefined} class={i < step ? 'done' : ''}>{s}</li>)}
      </ol>
      {sourcesPoll.error ? <ErrorNote>{sourcesPoll.error}</ErrorNote> : null}
      <form class="wizard" onSubmit={(e) => { e.preventDefault(); if (step < STEPS.length - 1) next(); else void create(); }}>
        {step === 0 ? <StepEndpoints draft={draft} sources={sources} update={update} /> : null}
        {step === 1 ? <StepTables draft={draft} projectId={projectId} update={update} /> : null}
        {step === 2 ? <StepOptions draft={draft} update={update} /> : null}
        {step === 3 ? <StepReview draft={draft} projectId={projectId} /> : null}
        <div class="slot" aria-live="polite">{problem ? <ErrorNote>{problem}</ErrorNote> : busy ? <p class="muted">{busy}</p> : null}</div>
        <div class="button-row">
          <button type="button" disabled={step === 0 || busy !== undefined} onClick={() => { setProblem(undefined); setStep(step - 1); }}>Back</button>
          {step < STEPS.length - 1
            ? <button type="submit" class="primary">Next</button>
            : <button type="submit" class="primary" disabled={busy !== undefined}>{draft.startAfter ? 'Create and start job' : 'Create job'}</button>}
        </div>
      </form>
    </section>
  );
}

/** One entry per name (jobs name their data sources; the production one wins, as in the API). */
function dataSourceOptions(list: { Name: string; DataSourceType: string; EnvType: number }[]): DataSourceOption[] {
  const byName = new Map<string, DataSourceOption>();
  for (const d of list) {
    if (!['mysql', 'postgresql'].includes(d.DataSourceType.toLowerCase())) continue;
    const known = byName.get(d.Name);
    if (!known || d.EnvType === 1) byName.set(d.Name, { name: d.Name, type: d.DataSourceType, env: d.EnvType === 1 ? 'production' : 'development' });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
