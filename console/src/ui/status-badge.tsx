/** A task status in words with a colour that is never the only cue (the word is always shown). */
const TONE: Record<string, string> = {
  RUN: 'good', WAIT: 'busy', KILLING: 'busy', PAUSE: 'idle', NORUN: 'idle', FAILED: 'bad',
};
const WORDS: Record<string, string> = {
  RUN: 'Running', WAIT: 'Starting', KILLING: 'Stopping', PAUSE: 'Stopped', NORUN: 'Not running', FAILED: 'Failed',
};

export function statusWords(status: string | undefined): string {
  return status ? WORDS[status] ?? status : '…';
}

export function StatusBadge({ status }: { status: string | undefined }) {
  return (
    <span class={`badge badge-${status ? TONE[status] ?? 'idle' : 'idle'}`} data-status={status ?? ''}>
      {statusWords(status)}{status && WORDS[status] ? <span class="badge-code"> ({status})</span> : null}
    </span>
  );
}
