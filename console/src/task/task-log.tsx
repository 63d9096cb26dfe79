/**
 * The task's log (GetDIJobLog: the current instance, 1,000 lines a page, oldest first). Read only
 * while the section is open; it opens on the newest page (found by walking forward from the last
 * one known) and follows it while it grows.
 */
import { useRef, useState } from 'preact/hooks';
import { useClient } from '../ui/client-context.ts';
import { usePoll } from '../ui/use-poll.ts';
import { ErrorNote } from '../ui/notes.tsx';

const PAGE_LINES = 1_000;

export function TaskLog({ taskId }: { taskId: number }) {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [pinned, setPinned] = useState<number | null>(null); // a page the person chose; null follows the newest
  const newest = useRef(1);
  const pre = useRef<HTMLPreElement>(null);
  const log = usePoll(async (signal) => {
    const read = async (page: number) => String((await client.call('GetDIJobLog', { Id: taskId, PageNumber: page }, signal)).Log ?? '');
    if (pinned !== null) return { page: pinned, text: await read(pinned) };
    let page = newest.current;
    let text = await read(page);
    while (lineCount(text) >= PAGE_LINES) {
      const next = await read(page + 1);
      if (next === '') break;
      page += 1;
      text = next;
    }
    newest.current = page;
    return { page, text };
  }, open ? (pinned === null ? 10_000 : null) : null, [client, taskId, open, pinned]);

  const page = log.data?.page ?? 1;
  return (
    <section aria-labelledby="log-heading">
      <details class="log" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
        <summary><h2 id="log-heading">Log</h2></summary>
        {log.error ? <ErrorNote>Log: {log.error}</ErrorNote> : null}
        <div class="button-row">
          <button type="button" disabled={page <= 1} onClick={() => setPinned(page - 1)}>Older page</button>
          <button type="button" disabled={pinned === null} onClick={() => setPinned(pinned !== null && pinned < newest.current ? pinned + 1 : null)}>Newer page</button>
          <span class="muted">Page {page}{pinned === null ? ' (newest, following)' : ''}</span>
        </div>
        <pre ref={pre} class="log-text" tabIndex={0} aria-label="Task log">{log.data?.text || (open && log.loads > 0 ? 'The log is empty.' : '')}</pre>
      </details>
    </section>
  );
}

function lineCount(text: string): number {
  return text === '' ? 0 : text.split('\n').length;
}
