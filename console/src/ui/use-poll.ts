/**
 * Polls a loader: at once, then `intervalMs` after each answer (never two at a time), paused while
 * the tab is hidden, stopped (and the request in flight aborted) when the view goes away or its
 * inputs change. The last good data stays on screen while the next answer is awaited, so a refresh
 * never blanks or shifts the page; an error is shown beside it.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/client.ts';

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** Answers received so far (0 while the first is awaited). */
  loads: number;
  refresh(): void;
}

export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number | null, deps: unknown[]): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loads: number }>({ loads: 0 });
  const kick = useRef<() => void>(() => undefined);
  useEffect(() => {
    setState({ loads: 0 });
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    let again = false;
    const run = async () => {
      if (abort.signal.aborted) return;
      if (running) { again = true; return; }
      clearTimeout(timer);
      if (document.hidden && intervalMs !== null) { timer = setTimeout(run, 1_000); return; }
      running = true;
      try {
        const data = await load(abort.signal);
        if (!abort.signal.aborted) setState((s) => ({ data, error: undefined, loads: s.loads + 1 }));
      } catch (err) {
        if (!abort.signal.aborted) setState((s) => ({ ...s, error: describeError(err), loads: s.loads + 1 }));
      } finally {
        running = false;
      }
      if (abort.signal.aborted) return;
      if (again) { again = false; void run(); return; }
      if (intervalMs !== null) timer = setTimeout(run, intervalMs);
    };
    kick.current = () => { void run(); };
    void run();
    return () => { abort.abort(); clearTimeout(timer); };
  }, [...deps, intervalMs]);
  const refresh = useCallback(() => kick.current(), []);
  return { data: state.data, error: state.error, loads: state.loads, refresh };
}

/** Refreshes a poll at once when `value` changes (not on the first render), keeping what it shows meanwhile. */
export function useRefreshOn(polled: Polled<unknown>, value: unknown): void {
  const last = useRef(value);
  useEffect(() => {
    if (Object.is(last.current, value)) return;
    last.current = value;
    polled.refresh();
  }, [value]);
}
