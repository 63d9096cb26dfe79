/**
 * What a running pipeline reports as worth remembering about a task (the task's event log:
 * ListDIJobEvents, the console's timeline, alarm rules of type DdlReport). The engine emits these
 * through `PipelineEvents.onEvent`; the runtime appends them to the catalog. Events that only the
 * runtime sees (failovers, status changes, alarms sent) are recorded there, not here.
 *
 * No event ever carries row values or credentials: keys and SQL text of schema changes only.
 */
import type { DdlType } from './ddl-types.ts';
import type { DdlMark } from './schema-rules.ts';

export type EngineEvent =
  /**
   * A schema change met by the pipeline and what was done with it (StartParam.ddlMarkMap):
   * `sourceSql` as the source logged it (MySQL; null where the source reports no SQL, e.g.
   * PostgreSQL Relation messages), `targetSql` the statements applied at the target (empty unless
   * NORMAL), `detail` anything the operator should know (e.g. a default that could not be
   * reproduced exactly).
   */
  | {
    type: 'ddl'; ddlType: DdlType; sourceTable: string; targetTable: string | null;
    sourceSql: string | null; action: DdlMark; targetSql: string[]; detail: string | null;
  }
  /** Rows the target rejected (dirty records), per apply call that had any. */
  | { type: 'dirty'; table: string; count: number; totalDirty: number; error: string }
  /**
   * Something went wrong or looks wrong at the source or target without failing the task yet
   * (a stalled source being reconnected, a schema change reproduced only approximately, ...).
   */
  | { type: 'warning'; code: string; detail: string; table?: string };
