/**
 * StartParam.ddlMarkMap applied to the schema changes a pipeline meets (docs/design.md section 2):
 * DDL events from the source, and source columns a target table lacks (an ADDCOLUMN, possibly
 * made while the task was stopped). NORMAL applies the change to the target, IGNORE skips it,
 * WARNING skips it and records an alert, CRITICAL fails the task. A skipped ADDCOLUMN leaves the
 * column out of the target: its values are projected away from the changes.
 */
import type { Logger } from '../logger.ts';
import type { ChangeSink } from './change-sink.ts';
import type { ChangeSource } from './change-source.ts';
import type { ColumnValue, RelationInfo, RowChange, SchemaChange } from './change-event.ts';
import type { DdlType } from './ddl-types.ts';
import { MissingTargetColumnsError, UnrecoverableError } from './errors.ts';

export type DdlMark = 'NORMAL' | 'IGNORE' | 'WARNING' | 'CRITICAL';

export interface Alert { at: string; type: DdlType; table: string; message: string }

/** Columns the target keeps out: `keep` indexes the relation's columns that go to the target. */
export interface Projection { relation: RelationInfo; keep: number[] }

export class SchemaRules {
  /** Prepared relations; the value is the projection to apply, or null. */
  private readonly prepared = new WeakMap<RelationInfo, Projection | null>();

  constructor(
    private readonly marks: Record<DdlType, DdlMark>, private readonly source: ChangeSource, private readonly sink: ChangeSink,
    private readonly logger: Logger, private readonly onAlert: (alert: Alert) => void,
  ) {}

  /**
   * Prepares the target table of a relation the first time it is seen; returns the projection
   * its changes need, or null. A target lacking source columns is an ADDCOLUMN: NORMAL adds them
   * (after `commitCompleted`, where the target's DDL would commit the open transaction).
   */
  async prepare(relation: RelationInfo, commitCompleted?: () => Promise<void>): Promise<Projection | null> {
    const known = this.prepared.get(relation);
    if (known !== undefined) return known;
    return this.prepareNew(relation, commitCompleted);
  }

  /** The projection of a relation already prepared (undefined: not yet); synchronous for the per-row path. */
  preparedProjection(relation: RelationInfo): Projection | null | undefined {
    return this.prepared.get(relation);
  }

  private async prepareNew(relation: RelationInfo, commitCompleted?: () => Promise<void>): Promise<Projection | null> {
    const describe = () => this.source.describeTable(relation);
    try {
      await this.sink.prepareTable(relation, describe);
      this.prepared.set(relation, null);
      return null;
    } catch (err) {
      if (!(err instanceof MissingTargetColumnsError)) throw err;
      const label = `${relation.schema}.${relation.table}`;
      const mark = await this.mark('ADDCOLUMN', label, `columns ${err.columns.join(', ')} exist at the source but not in the target`);
      if (mark === 'NORMAL') {
        if (!this.sink.transactionalDdl) await commitCompleted?.();
        for (const column of err.columns) await this.sink.applySchemaChange({ type: 'ADDCOLUMN', schema: relation.schema, table: relation.table, column }, describe);
        await this.sink.prepareTable(relation, describe);
        this.prepared.set(relation, null);
        return null;
      }
      const keep = relation.columns.flatMap((col, i) => (err.columns.includes(col.name) ? [] : [i]));
      const projection: Projection = { relation: { ...relation, columns: keep.map((i) => relation.columns[i]) }, keep };
      await this.sink.prepareTable(projection.relation, describe);
      this.prepared.set(relation, projection);
      return projection;
    }
  }

  /** A DDL event from the source, handled by its mark. */
  async apply(change: SchemaChange): Promise<void> {
    const label = `${change.schema}.${change.table}`;
    const mark = await this.mark(change.type, label, change.sql ?? describeChange(change));
    if (mark !== 'NORMAL') return;
    const name = change.type === 'RENAMETABLE' && change.newTable ? change.newTable : change;
    await this.sink.applySchemaChange(change, () => this.source.describeTable({ id: 0, schema: name.schema, table: name.table, columns: [] }));
  }

  /** The mark of a DDL type; WARNING records an alert, CRITICAL fails the task. */
  async mark(type: DdlType, table: string, what: string): Promise<DdlMark> {
    const mark = this.marks[type];
    if (mark === 'CRITICAL') {
      throw new UnrecoverableError(`${type} on ${table} is marked CRITICAL in StartParam.ddlMarkMap, so the task stopped: ${what}`);
    }
    if (mark === 'WARNING') {
      this.logger.warn('schema change skipped with an alert', { type, table });
      this.onAlert({ at: new Date().toISOString(), type, table, message: `${type} on ${table} skipped (ddlMarkMap WARNING): ${what}` });
    }
    return mark;
  }
}

export function project(ch: RowChange, p: Projection): RowChange {
  const pick = (values: ColumnValue[]) => p.keep.map((i) => values[i]);
  if (ch.op === 'delete') return { op: 'delete', relation: p.relation, oldKey: pick(ch.oldKey) };
  if (ch.op === 'insert') return { op: 'insert', relation: p.relation, values: pick(ch.values) };
  return { op: 'update', relation: p.relation, values: pick(ch.values), oldKey: ch.oldKey && pick(ch.oldKey) };
}

function describeChange(c: SchemaChange): string {
  if (c.type === 'RENAMETABLE') return `rename to ${c.newTable?.schema}.${c.newTable?.table}`;
  if (c.type === 'RENAMECOLUMN') return `column ${c.column} renamed to ${c.newColumn}`;
  return c.column ? `column ${c.column}` : c.type.toLowerCase();
}
