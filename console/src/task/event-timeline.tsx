/**
 * The task's events, newest first: failovers, DDL, alarms, dirty rows, warnings, status changes.
 * Read every 30 s, and at once when the task's status, alert count or dirty count changes.
 */
import { useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll, useRefreshOn } from '../ui/use-poll.ts';
import { ErrorNote, InfoNote } from '../ui/notes.tsx';
import { formatTime } from '../ui/format.ts';
import { EVENT_TYPES, listEvents } from './events.ts';

const SPANS = [{ label: 'Last 24 hours', seconds: 86_400 }, { label: 'Last 7 days', seconds: 604_800 }, { label: 'Last 30 days', seconds: 2_592_000 }];
const PER_TYPE = 20;

export function EventTimeline({ taskId, changed }: { taskId: number; changed: string }) {
  const client = useClient();
  const [span, setSpan] = useState(SPANS[0].seconds);
  const events = usePoll((signal) => {
    const now = Math.floor(Date.now() / 1000);
    return listEvents(client, taskId, EVENT_TYPES, now - span, now, PER_TYPE, signal);
  }, 30_000, [client, taskId, span]);
  useRefreshOn(events, changed);
  const list = events.data ?? [];
  return (
    <section aria-labelledby="events-heading">
      <div class="section-head">
        <h2 id="events-heading">Events</h2>
        <label class="inline-field">Event period
          <select value={span} onChange={(e) => setSpan(Number(e.currentTarget.value))}>
            {SPANS.map((s) => <option key={s.seconds} value={s.seconds}>{s.label}</option>)}
          </select>
        </label>
      </div>
      {events.error ? <ErrorNote>Events: {events.error}</ErrorNote> : null}
      {events.loads > 0 && list.length === 0 && !events.error ? <InfoNote>No event in this period.</InfoNote> : null}
      <ol class="timeline" aria-busy={events.loads === 0}>
        {list.map((e) => (
          <li key={e.id} class={`event event-${e.type.toLowerCase()}`}>
            <time dateTime={new Date(e.time * 1000).toISOString()}>{formatTime(e.time)}</time>
            <span class="event-type">{e.type}</span>
            <span class="event-summary">{e.summary}</span>
            {e.detail ? <pre class="event-detail">{e.detail}</pre> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
