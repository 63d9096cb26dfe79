/**
 * Step 2: which source tables the job copies and streams. Either pick them from the source's own
 * list, or write Include / Exclude rules and see what they match now. Both the list and the
 * preview come from the service (ListDataSourceTables, an OpenDI extension), which evaluates the
 * rules exactly as CreateDIJob will.
 */
import { useEffect, useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';
import { ErrorNote, InfoNote } from '../ui/notes.tsx';
import { formatCount } from '../ui/format.ts';
import { isMySql, tableMappingsOf, type Draft, type SelectionRule } from './draft.ts';

export interface SourceTable { DatabaseName: string; SchemaName: string; TableName: string; HasPrimaryKey: boolean; EstimatedRows: number; Selected?: boolean }

const LIMIT = 1000;

export function tableKey(t: SourceTable): string {
  return `${t.SchemaName || t.DatabaseName}.${t.TableName}`;
}

export function StepTables({ draft, projectId, update }: { draft: Draft; projectId: number; update(d: Partial<Draft>): void }) {
  const client = useClient();
  const source = draft.source!;
  const [filter, setFilter] = useState('');
  const catalog = usePoll((signal) => client.call('ListDataSourceTables', { ProjectId: projectId, DataSourceName: source.name, PageSize: LIMIT }, signal), null, [client, projectId, source.name]);
  const tables: SourceTable[] = catalog.data?.PagingInfo?.Tables ?? [];
  const total = Number(catalog.data?.PagingInfo?.TotalCount ?? 0);

  return (
    <fieldset class="form">
      <legend>Tables</legend>
      <div class="radio-row" role="radiogroup" aria-label="How to choose tables">
        <label><input type="radio" name="table-mode" checked={draft.mode === 'pick'} onChange={() => update({ mode: 'pick' })} /> Pick tables</label>
        <label><input type="radio" name="table-mode" checked={draft.mode === 'rules'} onChange={() => update({ mode: 'rules' })} /> Match by rules</label>
      </div>
      {catalog.error ? <ErrorNote>The tables of {source.name}: {catalog.error}</ErrorNote> : null}
      {total > tables.length ? <InfoNote>{source.name} has {formatCount(total)} tables; the first {formatCount(tables.length)} are listed. Use rules to reach the others.</InfoNote> : null}
      {draft.mode === 'pick'
        ? <TablePicker tables={tables} loaded={catalog.loads > 0} filter={filter} setFilter={setFilter} picked={draft.picked} setPicked={(picked) => update({ picked })} />
        : <RuleEditor draft={draft} projectId={projectId} update={update} />}
    </fieldset>
  );
}

function TablePicker({ tables, loaded, filter, setFilter, picked, setPicked }: {
  tables: SourceTable[]; loaded: boolean; filter: string; setFilter(f: string): void; picked: string[]; setPicked(p: string[]): void;
}) {
  const shown = tables.filter((t) => tableKey(t).toLowerCase().includes(filter.trim().toLowerCase()));
  const chosen = new Set(picked);
  const toggle = (key: string, on: boolean) => setPicked(on ? [...picked, key].filter((k, i, a) => a.indexOf(k) === i) : picked.filter((k) => k !== key));
  const pickable = shown.filter((t) => t.HasPrimaryKey).map(tableKey);
  return (
    <div>
      <div class="picker-tools">
        <label class="inline-field">Filter tables <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} /></label>
        <button type="button" disabled={pickable.length === 0} onClick={() => setPicked([...new Set([...picked, ...pickable])])}>Select all shown</button>
        <button type="button" disabled={picked.length === 0} onClick={() => setPicked([])}>Clear selection</button>
        <span class="muted" aria-live="polite">{picked.length} selected</span>
      </div>
      <div class="table-wrap picker">
        <table class="list">
          <caption class="visually-hidden">Source tables</caption>
          <thead><tr><th scope="col">Table</th><th scope="col">Primary key</th><th scope="col" class="num">Estimated rows</th></tr></thead>
          <tbody>
            {shown.map((t) => {
              const key = tableKey(t);
              return (
                <tr key={key}>
                  <td><label class="check"><input type="checkbox" checked={chosen.has(key)} disabled={!t.HasPrimaryKey} onChange={(e) => toggle(key, e.currentTarget.checked)} /> {key}</label></td>
                  <td>{t.HasPrimaryKey ? 'Yes' : <span class="bad-text">No: cannot be synced by key</span>}</td>
                  <td class="num">≈ {formatCount(t.EstimatedRows)}</td>
                </tr>
              );
            })}
            {!loaded ? <tr class="placeholder"><td colSpan={3}>Reading the source's tables…</td></tr> : null}
            {loaded && shown.length === 0 ? <tr><td colSpan={3}>No table matches.</td></tr> : null}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function RuleEditor({ draft, projectId, update }: { draft: Draft; projectId: number; update(d: Partial<Draft>): void }) {
  const client = useClient();
  const levels: SelectionRule['ObjectType'][] = isMySql(draft.source) ? ['Database', 'Table'] : ['Schema', 'Table'];
  const set = (i: number, patch: Partial<SelectionRule>) => update({ rules: draft.rules.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  // The preview follows the rules, a moment after the last keystroke.
  const mappings = JSON.stringify(tableMappingsOf(draft));
  const [settled, setSettled] = useState(mappings);
  useEffect(() => { const t = setTimeout(() => setSettled(mappings), 400); return () => clearTimeout(t); }, [mappings]);
  const preview = usePoll((signal) => client.call('ListDataSourceTables', {
    ProjectId: projectId, DataSourceName: draft.source!.name, TableMappings: JSON.parse(settled), SelectedOnly: true, PageSize: LIMIT,
  }, signal), null, [client, projectId, draft.source!.name, settled]);
  const matched: SourceTable[] = preview.data?.PagingInfo?.Tables ?? [];
  const keyless = matched.filter((t) => !t.HasPrimaryKey);
  return (
    <div>
      <ol class="rules">
        {draft.rules.map((r, i) => (
          <li key={i} class="rule">
            <label>Rule {i + 1} action
              <select value={r.Action} onChange={(e) => set(i, { Action: e.currentTarget.value as SelectionRule['Action'] })}>
                <option value="Include">Include</option><option value="Exclude">Exclude</option>
              </select>
            </label>
            <label>Rule {i + 1} level
              <select value={r.ObjectType} onChange={(e) => set(i, { ObjectType: e.currentTarget.value as SelectionRule['ObjectType'] })}>
                {levels.map((l) => <option key={l} value={l}>{l}</option>)}
              </select>
            </label>
            <label>Rule {i + 1} match
              <select value={r.ExpressionType} onChange={(e) => set(i, { ExpressionType: e.currentTarget.value as SelectionRule['ExpressionType'] })}>
                <option value="Exact">Exact name</option><option value="Regex">Regular expression</option>
              </select>
            </label>
            <label>Rule {i + 1} expression
              <input value={r.Expression} onInput={(e) => set(i, { Expression: e.currentTarget.value })} spellcheck={false} />
            </label>
            <button type="button" onClick={() => update({ rules: draft.rules.filter((_, j) => j !== i) })} disabled={draft.rules.length <= 1}>Remove rule {i + 1}</button>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => update({ rules: [...draft.rules, { Action: 'Include', ObjectType: 'Table', ExpressionType: 'Exact', Expression: '' }] })}>Add rule</button>
      <p class="fine">Rules of one level are ORed, levels are ANDed, and Exclude wins. Without a {levels[0]} rule only the data source's own database is read. A regular expression must match the whole name.</p>
      <h3>Preview</h3>
      <div aria-live="polite" class="slot">
        {preview.error ? <ErrorNote>{preview.error}</ErrorNote> : <p>{preview.loads === 0 ? 'Evaluating the rules…' : `The rules match ${formatCount(Number(preview.data?.PagingInfo?.TotalCount ?? 0))} table(s) now.`}</p>}
        {keyless.length > 0 ? <ErrorNote>Without a primary key, these cannot be synced: {keyless.map(tableKey).join(', ')}. Exclude them.</ErrorNote> : null}
      </div>
      <ul class="matched">{matched.map((t) => <li key={tableKey(t)}><code>{tableKey(t)}</code> <span class="muted">≈ {formatCount(t.EstimatedRows)} rows</span></li>)}</ul>
    </div>
  );
}
