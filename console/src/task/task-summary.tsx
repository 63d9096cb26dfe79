/**
 * The task at a glance (GetDISyncInstanceInfo and its Metrics; GetDISyncTask for what it moves):
 * a grid of fixed cells, so values changing never move anything.
 */
import type { ComponentChildren } from 'preact';
import { StatusBadge } from '../ui/status-badge.tsx';
import { DASH, formatCount, formatRate, formatSeconds } from '../ui/format.ts';
import { phaseWords } from '../workspace/task-list.tsx';
import type { TaskDefinition } from './task-definition.ts';

export interface InstanceInfo {
  Status: string;
  Message: string | null;
  Name: string | null;
  Metrics?: {
    Phase: string | null; DelaySeconds: number | null; DirtyRecords: number; RowsLoaded: number; TablesLoaded: number;
    RowsApplied: number | null; CommittedPosition: string | null; AlertCount: number;
  };
}

export function TaskSummary({ info, definition, rate }: { info: InstanceInfo | undefined; definition: TaskDefinition | undefined; rate: number | null }) {
  const m = info?.Metrics;
  return (
    <section aria-labelledby="summary-heading">
      <h2 id="summary-heading" class="visually-hidden">Summary</h2>
      <dl class="cells">
        <Cell label="Status"><StatusBadge status={info?.Status} /></Cell>
        <Cell label="Phase">{phaseWords(m?.Phase)}</Cell>
        <Cell label="Delay">{formatSeconds(m?.DelaySeconds)}</Cell>
        <Cell label="Records/s">{formatRate(rate)}</Cell>
        <Cell label="Rows loaded">{formatCount(m?.RowsLoaded)}</Cell>
        <Cell label="Rows applied">{formatCount(m?.RowsApplied)}</Cell>
        <Cell label="Dirty records">{formatCount(m?.DirtyRecords)}</Cell>
        <Cell label="Alerts">{formatCount(m?.AlertCount)}</Cell>
        <Cell label="Source position" wide><code class="position">{m?.CommittedPosition ?? DASH}</code></Cell>
        <Cell label="Moves" wide>
          {definition ? <span>{definition.source} <span class="muted">({definition.sourceType})</span> → {definition.target} <span class="muted">({definition.targetType})</span>, {definition.tables.length > 0 ? `${definition.tables.length} table${definition.tables.length === 1 ? '' : 's'}` : 'tables by rule'}</span> : DASH}
        </Cell>
      </dl>
      <p class={`message ${info?.Status === 'FAILED' ? 'note note-error' : 'muted'}`} >{info?.Message ?? ' '}</p>
    </section>
  );
}

function Cell({ label, wide, children }: { label: string; wide?: boolean; children: ComponentChildren }) {
  return <div class={wide ? 'cell wide' : 'cell'}><dt>{label}</dt><dd>{children}</dd></div>;
}
