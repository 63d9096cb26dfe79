/**
 * The text a task commits as its checkpoint position. While streaming it is the source's own
 * position. During the initial load it records, as `load:` + JSON, where streaming will start
 * (the source position taken before the copy) and how far the copy got: the tables finished and
 * the last primary key committed in the current one, so a crash resumes from the last chunk.
 */
import type { ColumnValue } from './change-event.ts';

export interface LoadProgress {
  /** Where streaming starts once the copy is done (null: the source's own bookmark). */
  stream: string | null;
  /** schema.table of the tables copied completely. */
  done: string[];
  /** The table being copied and the key of its last committed row. */
  table: string | null;
  after: ColumnValue[] | null;
  /** Chunks committed by this copy: orders the load positions of parallel lanes (sinks/lane-positions.ts). */
  chunks?: number;
}

const LOAD_PREFIX = 'load:';

export function encodeLoad(p: LoadProgress): string {
  return LOAD_PREFIX + JSON.stringify(p);
}

export function decodeCheckpoint(position: string | null): { stream: string | null; load?: LoadProgress } {
  if (position === null || !position.startsWith(LOAD_PREFIX)) return { stream: position };
  const p = JSON.parse(position.slice(LOAD_PREFIX.length)) as LoadProgress;
  return { stream: p.stream, load: p };
}
