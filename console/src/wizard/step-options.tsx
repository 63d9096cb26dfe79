/** Step 3: full load or not, what to do with each kind of DDL, dirty records tolerated, start or not. */
import { DDL_DEFAULTS, DDL_TYPES, type DdlChoice, type Draft } from './draft.ts';

const WORDS: Record<string, string> = {
  CreateTable: 'New table', DropTable: 'Table dropped', TruncateTable: 'Table truncated', AddColumn: 'Column added',
  DropColumn: 'Column dropped', RenameColumn: 'Column renamed', ModifyColumn: 'Column type changed',
};

export function StepOptions({ draft, update }: { draft: Draft; update(d: Partial<Draft>): void }) {
  return (
    <fieldset class="form">
      <legend>Options</legend>
      <label class="check"><input type="checkbox" checked={draft.fullLoad} onChange={(e) => update({ fullLoad: e.currentTarget.checked })} /> Copy the existing rows first (full load)</label>
      <p class="fine">Without it, only changes made from the start on are copied.</p>
      <fieldset class="ddl">
        <legend>DDL handling</legend>
        {DDL_TYPES.map((t) => (
          <label key={t} class="ddl-row">{WORDS[t]}
            <select value={draft.ddl[t]} onChange={(e) => update({ ddl: { ...draft.ddl, [t]: e.currentTarget.value as DdlChoice } })}>
              <option value="Default">Default ({DDL_DEFAULTS[t]})</option>
              <option value="Normal">Apply to the target</option>
              <option value="Ignore">Ignore</option>
              <option value="Critical">Fail the task</option>
            </select>
          </label>
        ))}
      </fieldset>
      <label for="job-error-limit">Dirty records tolerated</label>
      <input id="job-error-limit" type="number" min="0" step="1" inputMode="numeric" value={draft.errorLimit} onInput={(e) => update({ errorLimit: e.currentTarget.value })} aria-describedby="job-error-limit-help" />
      <p id="job-error-limit-help" class="fine">Rows the target rejects are kept with their error and skipped; one more than this fails the task. It applies when the job is started here.</p>
      <label class="check"><input type="checkbox" checked={draft.startAfter} onChange={(e) => update({ startAfter: e.currentTarget.checked })} /> Start the job after creating it</label>
    </fieldset>
  );
}
