/**
 * Per-table progress of a pipeline (ListDIJobRunDetails, README, "The 2024-05-18 DI Job API"): for
 * each source table, whether its target table is ready (structure), how its full load went (rows,
 * bytes of value text, rows the target rejected), and whether it streams. Kept in the pipeline's
 * metrics and persisted with the task's progress; a new pipeline continues from what earlier runs
 * of the task recorded (`TableProgressTracker(previous)`), since a resumed task does not load again.
 */
export type StepStatus = 'Initialized' | 'Running' | 'Finished' | 'Failed';

export interface TableProgress {
  structure: StepStatus;
  structureError: string | null;
  full: StepStatus;
  fullError: string | null;
  realtime: 'Initialized' | 'Running' | 'Failed';
  realtimeError: string | null;
  rowsLoaded: number;
  bytesLoaded: number;
  errorRecords: number;
}

const fresh = (): TableProgress => ({
  structure: 'Initialized', structureError: null, full: 'Initialized', fullError: null,
  realtime: 'Initialized', realtimeError: null, rowsLoaded: 0, bytesLoaded: 0, errorRecords: 0,
});

export class TableProgressTracker {
  private readonly tables = new Map<string, TableProgress>();

  constructor(previous: Record<string, TableProgress> | undefined, names: string[]) {
    for (const name of names) this.tables.set(name, { ...fresh(), ...previous?.[name] });
  }

  private of(name: string): TableProgress {
    let t = this.tables.get(name);
    if (!t) { t = fresh(); this.tables.set(name, t); }
    return t;
  }

  /** A table joined the task (selected at start, or picked up while streaming). */
  add(name: string): void { this.of(name); }

  structure(name: string, error: string | null): void {
    const t = this.of(name);
    t.structure = error === null ? 'Finished' : 'Failed';
    t.structureError = error;
  }

  loadStarted(name: string, resumed: boolean): void {
    const t = this.of(name);
    t.full = 'Running';
    t.fullError = null;
    if (!resumed) { t.rowsLoaded = 0; t.bytesLoaded = 0; t.errorRecords = 0; }
  }

  loaded(name: string, rows: number, bytes: number, rejected: number): void {
    const t = this.of(name);
    t.rowsLoaded += rows;
    t.bytesLoaded += bytes;
    t.errorRecords += rejected;
  }

  loadFinished(name: string): void { this.of(name).full = 'Finished'; }

  loadFailed(name: string, error: string): void {
    const t = this.of(name);
    t.full = 'Failed';
    t.fullError = error;
  }

  /** Streaming began: tables with no full load to do (incremental only, or created while streaming) count as loaded. */
  streaming(names: string[]): void {
    for (const name of names) {
      const t = this.of(name);
      if (t.full !== 'Finished') { t.full = 'Finished'; t.fullError = null; }
      t.realtime = 'Running';
      t.realtimeError = null;
    }
  }

  snapshot(): Record<string, TableProgress> {
    return Object.fromEntries([...this.tables].map(([k, v]) => [k, { ...v }]));
  }
}

/** Bytes of a row's values as text (what OfflineTotalBytes counts). */
export function rowTextBytes(values: readonly unknown[]): number {
  let n = 0;
  for (const v of values) if (typeof v === 'string') n += Buffer.byteLength(v);
  return n;
}
