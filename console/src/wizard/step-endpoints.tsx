/** Step 1: the job's name, and which data source it reads and which it writes. */
import type { Draft, SourceChoice } from './draft.ts';

export interface DataSourceOption { name: string; type: string; env: string }

export function StepEndpoints({ draft, sources, update }: { draft: Draft; sources: DataSourceOption[]; update(d: Partial<Draft>): void }) {
  const choose = (name: string): SourceChoice | null => {
    const ds = sources.find((s) => s.name === name);
    return ds ? { name: ds.name, type: ds.type } : null;
  };
  return (
    <fieldset class="form">
      <legend>Source and target</legend>
      <label for="job-name">Job name</label>
      <input id="job-name" value={draft.name} maxLength={100} onInput={(e) => update({ name: e.currentTarget.value })} aria-describedby="job-name-help" />
      <p id="job-name-help" class="fine">Unique in the workspace; it is also the task's file name.</p>
      <label for="job-source">Source data source</label>
      <select id="job-source" value={draft.source?.name ?? ''} onChange={(e) => update({ source: choose(e.currentTarget.value), picked: [] })}>
        <option value="">Choose…</option>
        {sources.map((s) => <option key={s.name} value={s.name}>{s.name} ({s.type}, {s.env})</option>)}
      </select>
      <label for="job-target">Target data source</label>
      <select id="job-target" value={draft.target?.name ?? ''} onChange={(e) => update({ target: choose(e.currentTarget.value) })}>
        <option value="">Choose…</option>
        {sources.map((s) => <option key={s.name} value={s.name}>{s.name} ({s.type}, {s.env})</option>)}
      </select>
    </fieldset>
  );
}
